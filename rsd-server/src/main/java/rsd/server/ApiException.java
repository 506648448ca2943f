package rsd.server;

/**
 * A request the server refuses, carrying everything an OpenAI-style error body needs:
 * {@code {"error":{"message","type","param","code"}}} plus the HTTP status. Thrown while parsing and
 * validating a request; the handler turns it into the response, so no stack trace ever reaches a client.
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiException(int status, String type, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message);
    }

    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message);
    }
}
