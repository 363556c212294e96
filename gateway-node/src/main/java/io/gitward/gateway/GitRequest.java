package io.gitward.gateway;

import java.util.Optional;

/**
 * One request of Git's smart HTTP protocol, recognised from method, path and query:
 * {@code GET /<repo>/info/refs?service=git-upload-pack|git-receive-pack} or
 * {@code POST /<repo>/git-upload-pack|git-receive-pack}. Anything else is not served.
 *
 * @param repository the repository's relative path in the virtual storage (e.g. {@code group/project.git})
 * @param service    {@code git-upload-pack} (clone, fetch) or {@code git-receive-pack} (push)
 * @param advertisement whether this is the {@code info/refs} advertisement rather than the POST exchange
 */
record GitRequest(String repository, String service, boolean advertisement) {
    static final String UPLOAD_PACK = "git-upload-pack";
    static final String RECEIVE_PACK = "git-receive-pack";
    private static final String INFO_REFS = "/info/refs";

    /** The request's meaning, or empty when it is not smart HTTP (then the gateway answers 404). */
    static Optional<GitRequest> parse(String method, String path, String query) {
        if (path == null || !path.startsWith("/")) {
            return Optional.empty();
        }
        if (method.equals("GET") && path.endsWith(INFO_REFS)) {
            String service = serviceParameter(query);
            if (service == null) {
                // Dumb HTTP (no service parameter) is not offered: it would bypass the pack RPCs.
                return Optional.empty();
            }
            return repository(path, INFO_REFS).map(repository -> new GitRequest(repository, service, true));
        }
        if (method.equals("POST")) {
            for (String service : new String[] {UPLOAD_PACK, RECEIVE_PACK}) {
                if (path.endsWith("/" + service)) {
                    return repository(path, "/" + service).map(repository -> new GitRequest(repository, service, false));
                }
            }
        }
        return Optional.empty();
    }

    boolean push() {
        return service.equals(RECEIVE_PACK);
    }

    private static String serviceParameter(String query) {
        if (query == null) {
            return null;
        }
        for (String parameter : query.split("&")) {
            if (parameter.equals("service=" + UPLOAD_PACK)) {
                return UPLOAD_PACK;
            }
            if (parameter.equals("service=" + RECEIVE_PACK)) {
                return RECEIVE_PACK;
            }
        }
        return null;
    }

    private static Optional<String> repository(String path, String suffix) {
        String repository = path.substring(1, path.length() - suffix.length());
        // The storage node rejects escapes too; refusing here keeps obviously bad paths off the proxy.
        if (repository.isEmpty() || repository.startsWith("/") || repository.endsWith("/")
                || ("/" + repository + "/").contains("/../") || ("/" + repository + "/").contains("/./")
                || repository.contains("//") || repository.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return Optional.empty();
        }
        return Optional.of(repository);
    }
}
