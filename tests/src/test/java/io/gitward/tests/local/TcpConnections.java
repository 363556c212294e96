package io.gitward.tests.local;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The established TCP connections a process holds, read from Linux's {@code /proc}: its socket inodes from
 * {@code /proc/PID/fd} matched against {@code /proc/net/tcp} and {@code tcp6}. On loopback both ends of a
 * connection are in the same tables, so who is at the other end is another process's {@code (remote, local)} pair.
 */
final class TcpConnections {
    private static final String ESTABLISHED = "01";

    /** One end of a connection, by ports (everything here is on loopback). */
    record End(int localPort, int remotePort) {
        End reversed() {
            return new End(remotePort, localPort);
        }
    }

    private TcpConnections() {
    }

    /** The established connections whose socket belongs to {@code pid}; empty when the process is gone. */
    static Set<End> established(long pid) throws IOException {
        Set<Long> inodes = socketInodes(pid);
        Set<End> ends = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path file = Path.of(table);
            if (!Files.exists(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length < 10 || !fields[3].equals(ESTABLISHED) || !fields[9].matches("\\d+")
                        || !inodes.contains(Long.parseLong(fields[9]))) {
                    continue;
                }
                ends.add(new End(port(fields[1]), port(fields[2])));
            }
        }
        return ends;
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
    }

    private static Set<Long> socketInodes(long pid) throws IOException {
        Set<Long> inodes = new HashSet<>();
        Path fds = Path.of("/proc", Long.toString(pid), "fd");
        if (!Files.isDirectory(fds)) {
            return inodes;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
            for (Path fd : entries) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(Long.parseLong(target.substring("socket:[".length(), target.length() - 1)));
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return inodes; // the process ended
        }
        return inodes;
    }
}
