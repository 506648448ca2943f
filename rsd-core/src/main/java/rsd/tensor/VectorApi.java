package rsd.tensor;

import rsd.error.RsdException;

/**
 * Whether the JVM was started with the incubating Vector API the kernels are written in. Without
 * {@code --add-modules jdk.incubator.vector} the first kernel class would fail to link with a bare
 * NoClassDefFoundError; the engine checks here first and says what to add. This class itself uses no
 * Vector API type, so it loads either way.
 */
public final class VectorApi {
    static final String MODULE = "jdk.incubator.vector";
    private static final boolean PRESENT = ModuleLayer.boot().findModule(MODULE).isPresent();

    private VectorApi() {
    }

    /** Throws an RsdException naming the JVM option when the Vector API module is not loaded. */
    public static void require() {
        if (!PRESENT) {
            throw new RsdException(missingMessage());
        }
    }

    static String missingMessage() {
        return "the Java Vector API module " + MODULE + " is not loaded: start java with --add-modules "
                + MODULE + " (the ./rsd launcher and the Maven build pass it)";
    }
}
