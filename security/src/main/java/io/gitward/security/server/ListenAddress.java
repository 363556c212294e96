package io.gitward.security.server;

import java.net.InetSocketAddress;

/** A listener address from config: {@code host:port} or {@code [v6]:port}; port 0 picks a free port. */
public record ListenAddress(String host, int port) {
    public static ListenAddress parse(String value) {
        String host;
        String portText;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + value + "' (expected [ipv6]:port)");
            }
            host = value.substring(1, close);
            portText = value.substring(close + 2);
        } else {
            int colon = value.lastIndexOf(':');
            if (colon <= 0 || value.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + value + "' (expected host:port, e.g. 127.0.0.1:0)");
            }
            host = value.substring(0, colon);
            portText = value.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' (expected a port 0..65535)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + value + "' (expected a port 0..65535)");
        }
        return new ListenAddress(host, port);
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    /** "host:port" with brackets around an IPv6 literal: the form {@link #parse} reads. */
    public String format() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** "host:port" with brackets around IPv6 literals. */
    public static String format(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
