package rsd.error;

/**
 * A problem the user can fix (bad file, bad option, prompt too long...). The CLI prints its message as
 * one line on stderr and exits with code 2; the server turns it into an OpenAI-style error. The message
 * names the file or value at fault and the problem, without a stack trace.
 */
public class RsdException extends RuntimeException {
    public RsdException(String message) {
        super(message);
    }

    public RsdException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Why a file operation failed, in words: the JDK's own messages for these exceptions are only the
     * path ("AccessDeniedException: /x"), or a decoder's "Input length = 1".
     */
    public static String reason(java.io.IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.charset.CharacterCodingException) {
            return "not UTF-8 text";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
