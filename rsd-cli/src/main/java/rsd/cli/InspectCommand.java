package rsd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import rsd.gguf.GgufFile;
import rsd.gguf.GgufTensorInfo;

/** {@code rsd inspect --model F}: metadata, tensor table, parameter count and bytes of a GGUF file. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show a GGUF file's metadata, tensors, parameter count and size.")
public final class InspectCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF file (default: ${DEFAULT-VALUE})")
    Path model = rsd.LoadedModel.DEFAULT_MODEL;

    @Option(names = "--max-array", defaultValue = "8", paramLabel = "N", description = "array elements shown per key (default ${DEFAULT-VALUE})")
    int maxArray;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Models.requireModelFile(model, "model", "--model");
        try (GgufFile g = GgufFile.open(model)) {
            out.printf("file: %s%n", g.path());
            out.printf("GGUF version %d, alignment %d, %,d bytes, %d metadata keys, %d tensors%n%n", g.version(), g.alignment(), g.fileSize(),
                    g.metadata().size(), g.tensors().size());
            out.println("metadata:");
            for (Map.Entry<String, Object> e : g.metadata().entrySet()) {
                out.printf("  %-44s %-8s %s%n", e.getKey(), typeName(g, e.getKey()), show(e.getValue()));
            }
            out.println();
            out.printf("%-36s %-6s %-22s %14s %14s%n", "tensor", "type", "dims", "elements", "bytes");
            long params = 0, bytes = 0;
            for (GgufTensorInfo t : g.tensors()) {
                out.printf("%-36s %-6s %-22s %,14d %,14d%n", t.name(), t.type(), java.util.Arrays.toString(t.dims()), t.elementCount(), t.byteSize());
                params += t.elementCount();
                bytes += t.byteSize();
            }
            out.println();
            out.printf("parameters: %,d (%.3f B)%n", params, params / 1e9);
            out.printf("tensor bytes: %,d (%.2f GiB, %.2f bits per parameter)%n", bytes, bytes / (double) (1L << 30),
                    params == 0 ? 0 : 8.0 * bytes / params);
            out.flush();
        }
        return 0;
    }

    private static String typeName(GgufFile g, String key) {
        var t = g.valueType(key);
        if (t == rsd.gguf.GgufValueType.ARRAY) {
            return "[" + g.arrayElementType(key) + "]";
        }
        return String.valueOf(t);
    }

    private String show(Object v) {
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder().append(l.size()).append(" items: [");
            for (int i = 0; i < Math.min(maxArray, l.size()); i++) {
                sb.append(i > 0 ? ", " : "").append(show(l.get(i)));
            }
            return sb.append(l.size() > maxArray ? ", ...]" : "]").toString();
        }
        if (v instanceof String s) {
            String q = s.length() > 80 ? s.substring(0, 80) + "..." : s;
            return '"' + q.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"';
        }
        return String.valueOf(v);
    }
}
