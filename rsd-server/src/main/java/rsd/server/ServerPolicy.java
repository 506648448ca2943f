package rsd.server;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import rsd.error.RsdException;

/**
 * Who may use the server and under which names; see docs/server.md for the threat model.
 *
 * @param allowedHosts host names (no port) accepted in the Host header besides loopback's names and the
 *                     bound address, e.g. the machine's DNS name when bound to 0.0.0.0
 * @param corsOrigins  browser origins ({@code scheme://host[:port]}, or {@code *} for any) allowed to call
 *                     the API; a request carrying any other Origin is refused
 * @param apiKey       when not null, every route but /health requires {@code Authorization: Bearer KEY}
 * @param aliases      further model names /v1/models lists and requests may use
 * @param warmUp       whether each slot runs one short generation before /health reports ready
 */
public record ServerPolicy(List<String> allowedHosts, List<String> corsOrigins, String apiKey, List<String> aliases,
                           boolean warmUp) {
    /** Loopback names only, no browser origin, no key, no alias, no warm-up. */
    public static final ServerPolicy DEFAULT = new ServerPolicy(List.of(), List.of(), null, List.of(), false);

    public ServerPolicy {
        allowedHosts = List.copyOf(allowedHosts);
        corsOrigins = List.copyOf(corsOrigins);
        aliases = List.copyOf(aliases);
        for (String h : allowedHosts) {
            if (h.isBlank() || h.contains("/") || h.contains(" ")) {
                throw new RsdException("--allowed-host must be a host name without scheme or path, got '" + h + "'");
            }
        }
        for (String o : corsOrigins) {
            if (!o.equals("*") && !isOrigin(o)) {
                throw new RsdException("--cors-origin must be * or scheme://host[:port] without a path, got '" + o + "'");
            }
        }
        if (apiKey != null && (apiKey.isBlank() || !apiKey.strip().equals(apiKey))) {
            throw new RsdException("--api-key (or RSD_API_KEY) must be a non-empty key without surrounding spaces");
        }
        for (String a : aliases) {
            if (a.isBlank()) {
                throw new RsdException("--alias must be a non-empty name, got '" + a + "'");
            }
        }
    }

    /** Whether an Origin header value may call the API. */
    boolean allowsOrigin(String origin) {
        return corsOrigins.contains("*") || corsOrigins.stream().anyMatch(o -> o.equalsIgnoreCase(origin));
    }

    /** Whether the host part (port removed, brackets kept for IPv6) of a Host header names this server. */
    boolean allowsHost(String host, String boundHost) {
        String h = host.toLowerCase(Locale.ROOT);
        String bound = boundHost.toLowerCase(Locale.ROOT);
        if (bound.contains(":") && !bound.startsWith("[")) {
            bound = "[" + bound + "]";
        }
        return h.equals("localhost") || h.equals("127.0.0.1") || h.equals("[::1]") || h.equals(bound)
                || allowedHosts.stream().anyMatch(a -> a.equalsIgnoreCase(host));
    }

    private static boolean isOrigin(String o) {
        try {
            URI u = new URI(o);
            return u.getScheme() != null && u.getHost() != null && (u.getRawPath() == null || u.getRawPath().isEmpty())
                    && u.getRawQuery() == null && u.getRawFragment() == null && u.getRawUserInfo() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }
}
