package io.gitward.pki;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * DNS names and IP addresses written beside the SPIFFE ID. Gitward never checks them (node identity
 * is not a DNS name); they let ordinary tools such as curl talk to a node by address.
 */
public record SubjectAltNames(List<String> dnsNames, List<String> ipAddresses) {
    /** What local clusters need: localhost over IPv4 and IPv6. */
    public static final SubjectAltNames LOCAL = new SubjectAltNames(List.of("localhost"), List.of("127.0.0.1", "::1"));
    public static final SubjectAltNames NONE = new SubjectAltNames(List.of(), List.of());

    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    /** Dotted quads only: InetAddress would also take legacy short forms such as 1.2.3 and look names up. */
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");

    public SubjectAltNames {
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
    }

    /** Validated names: the defaults (unless {@code withDefaults} is false) plus the given ones. */
    public static SubjectAltNames of(boolean withDefaults, List<String> dns, List<String> ips) throws PkiException {
        Set<String> dnsNames = new LinkedHashSet<>(withDefaults ? LOCAL.dnsNames : List.of());
        Set<String> addresses = new LinkedHashSet<>(withDefaults ? LOCAL.ipAddresses : List.of());
        for (String name : dns) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.length() > 253 || !DNS_NAME.matcher(lower).matches()) {
                throw new PkiException("--dns: '" + name + "' is not a DNS name (expected e.g. storage-1.example.com)");
            }
            dnsNames.add(lower);
        }
        for (String ip : ips) {
            addresses.add(canonicalAddress(ip));
        }
        return new SubjectAltNames(new ArrayList<>(dnsNames), new ArrayList<>(addresses));
    }

    private static String canonicalAddress(String ip) throws PkiException {
        boolean literal = IPV4.matcher(ip).matches() || (ip.contains(":") && ip.matches("[0-9a-fA-F:.]+"));
        if (!literal) {
            throw new PkiException("--ip: '" + ip + "' is not an IP address (expected e.g. 10.0.0.5 or ::1)");
        }
        try {
            return InetAddress.getByName(ip).getHostAddress();
        } catch (UnknownHostException e) {
            throw new PkiException("--ip: '" + ip + "' is not an IP address (expected e.g. 10.0.0.5 or ::1)");
        }
    }
}
