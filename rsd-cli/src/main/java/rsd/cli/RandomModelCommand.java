package rsd.cli;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;
import rsd.error.RsdException;
import rsd.gguf.GgmlType;
import rsd.model.RandomLlama;

/** {@code rsd random-model OUT --preset tiny|llama-3.2-1b|llama-3.1-8b}: a Llama GGUF with random weights, for benchmarks and tests. */
@Command(name = "random-model", mixinStandardHelpOptions = true,
        description = "Write a Llama GGUF with random weights (byte-level vocabulary included) for benchmarks.")
public final class RandomModelCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OUT", description = "GGUF file to write")
    Path out;

    @Option(names = "--preset", defaultValue = "tiny", paramLabel = "NAME",
            description = "tiny (dim 64, 2 layers), llama-3.2-1b (dim 2048, 16 layers, 32/8 heads, FFN 8192, vocab 128256, tied embeddings) "
                    + "or llama-3.1-8b (dim 4096, 32 layers, 32/8 heads, FFN 14336, vocab 128256, separate output matrix)")
    String preset;

    @Option(names = "--type", defaultValue = "Q8_0", paramLabel = "TYPE", description = "weight type: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, or llama.cpp's per-tensor mixes Q4_K_M, Q5_K_M "
                    + "(default ${DEFAULT-VALUE})")
    String type;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    private static final String TYPES = "choose F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, Q4_K_M or Q5_K_M";

    @Override
    public Integer call() throws Exception {
        RandomLlama.Spec s = switch (preset.toLowerCase(Locale.ROOT)) {
            case "tiny" -> RandomLlama.Spec.tiny();
            case "llama-3.2-1b" -> RandomLlama.Spec.llama32_1b();
            case "llama-3.1-8b" -> RandomLlama.Spec.llama31_8b();
            default -> throw new RsdException("--preset " + preset + ": choose tiny, llama-3.2-1b or llama-3.1-8b");
        };
        String name = type.toUpperCase(Locale.ROOT);
        boolean mix = name.equals("Q4_K_M") || name.equals("Q5_K_M");
        GgmlType t;
        try {
            t = GgmlType.valueOf(mix ? name.substring(0, 4) : name);
        } catch (IllegalArgumentException e) {
            throw new RsdException("--type " + type + ": " + TYPES);
        }
        GgmlType embedding = switch (t) {
            case F32, F16, BF16, Q8_0, Q4_0, Q6_K -> t;
            case Q4_K, Q5_K -> GgmlType.Q6_K;
            default -> throw new RsdException("--type " + type + ": " + TYPES);
        };
        if (t.blockSize > 1 && (s.dim() % t.blockSize != 0 || s.ffnDim() % t.blockSize != 0)) {
            throw new RsdException("--type " + t + " needs rows that are multiples of " + t.blockSize + "; preset " + preset + " has dim " + s.dim());
        }
        OutputPath.check(null, out);
        s = s.withTypes(t, embedding).withSeed(seed);
        if (mix) {
            s = s.withMediumMix(t);
        }
        long total = s.parameterCount();
        var err = spec.commandLine().getErr();
        long started = System.nanoTime();
        PercentProgress progress = new PercentProgress(err, "random-model", Terminal.interactive());
        String of = String.format(java.util.Locale.ROOT, "of %,d parameters", total);
        RandomLlama.write(out, s, Map.of(), done -> progress.update(done, total, of));
        progress.finish();
        spec.commandLine().getOut().printf("wrote %s (%s, %,d parameters, %,d bytes) in %.1f s%n", out, mix ? name : t, total, Files.size(out),
                (System.nanoTime() - started) / 1e9);
        return 0;
    }
}
