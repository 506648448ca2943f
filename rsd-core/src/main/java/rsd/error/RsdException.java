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
}
