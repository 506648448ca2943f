package rsd.cli;


import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;
import rsd.error.RsdException;
import rsd.gguf.GgmlType;
import rsd.gguf.GgufFile;
import rsd.gguf.GgufTensorInfo;
import rsd.gguf.GgufValueType;
import rsd.gguf.GgufWriter;
import rsd.tensor.Quantize;
import rsd.tensor.Tensor;

/**
 * {@code rsd quantize IN OUT --type Q8_0|Q4_0}: re-encodes the weight matrices of a GGUF file. Vectors
 * (norms, RoPE factors) are kept as they are. With Q4_0, token_embd and output stay at Q8_0 (as llama.cpp
 * keeps them at higher precision), because they dominate quality for little size on small models.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true, description = "Quantize a GGUF model's weight matrices to Q8_0 or Q4_0.")
public final class QuantizeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "source GGUF")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "destination GGUF (never the source)")
    Path out;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "Q8_0 or Q4_0")
    String type;

    @Override
    public Integer call() throws IOException {
        GgmlType target = switch (type.toUpperCase(java.util.Locale.ROOT)) {
            case "Q8_0" -> GgmlType.Q8_0;
            case "Q4_0" -> GgmlType.Q4_0;
            default -> throw new RsdException("--type " + type + ": supported types are Q8_0 and Q4_0");
        };
        OutputPath.check(null, out, in);
        Path tmp = OutputPath.workFile(out, ".part");
        PercentProgress progress = new PercentProgress(spec.commandLine().getErr(), "quantize", Terminal.interactive());
        try (GgufFile g = GgufFile.open(in)) {
            try (GgufWriter w = GgufWriter.create(tmp)) {
                w.putAll(g);
                w.put("general.file_type", GgufValueType.UINT32, target == GgmlType.Q8_0 ? 7L : 2L);
                for (GgufTensorInfo t : g.tensors()) {
                    w.addTensor(t.name(), targetOf(t, target), t.dims());
                }
                long done = 0, total = 0;
                for (GgufTensorInfo t : g.tensors()) {
                    total += t.elementCount();
                }
                for (GgufTensorInfo t : g.tensors()) {
                    GgmlType to = targetOf(t, target);
                    if (to == t.type()) {
                        w.writeTensorData(g.data(t));
                    } else {
                        Tensor src = Tensor.wrap(t.type(), g.data(t), t.elementCount());
                        int cols = (int) t.dim(0);
                        float[] row = new float[cols];
                        for (long r = 0; r < t.elementCount() / cols; r++) {
                            src.dequantize(r * cols, row, 0, cols);
                            w.writeTensorData(Quantize.quantize(to, row, 0, cols));
                        }
                    }
                    done += t.elementCount();
                    progress.update(done, total, t.name());
                }
            }
            // An atomic rename replaces a file but never a folder (one may have appeared since the check).
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            progress.finish();
        } catch (RuntimeException | IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        spec.commandLine().getOut().printf("wrote %s (%s, %,d bytes)%n", out, target, Files.size(out));
        return 0;
    }

    /** Matrices whose rows fit the block size are converted; everything else is copied unchanged. */
    static GgmlType targetOf(GgufTensorInfo t, GgmlType target) {
        if (t.rank() < 2 || t.dim(0) % target.blockSize != 0 || t.dim(0) > Integer.MAX_VALUE) {
            return t.type();
        }
        if (!Quantize.canQuantizeTo(t.type()) && t.type() != GgmlType.Q4_K && t.type() != GgmlType.Q5_K && t.type() != GgmlType.Q6_K) {
            return t.type(); // a type the engine cannot decode is passed through
        }
        if (target == GgmlType.Q4_0 && (t.name().equals("token_embd.weight") || t.name().equals("output.weight"))) {
            return GgmlType.Q8_0;
        }
        return target;
    }
}
