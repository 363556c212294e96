package io.gitward.security.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A set of files the node re-reads when they change (rename, rewrite or {@code ..data} swap). A reload that
 * fails is refused loudly (log + {@code reloads_total{result="refused"}}) and leaves what is in use alone;
 * it is tried again when the files change again. Used from one thread.
 */
final class WatchedFiles {
    private static final Logger LOG = LoggerFactory.getLogger(WatchedFiles.class);

    /** Loads and installs the new material; returns what to log on success. Throws to refuse. */
    @FunctionalInterface
    interface Reload {
        String apply() throws Exception;
    }

    private final String material;
    private final List<Path> files;
    private final ReloadCounters counters;
    private final Reload reload;
    private FileSignature signature;

    WatchedFiles(String material, List<Path> files, ReloadCounters counters, Reload reload) {
        this.material = material;
        this.files = files.stream().filter(Objects::nonNull).toList();
        this.counters = counters;
        this.reload = reload;
        this.signature = FileSignature.of(this.files);
    }

    void checkNow() {
        if (files.isEmpty()) {
            return;
        }
        FileSignature now = FileSignature.of(files);
        if (!now.differsFrom(signature)) {
            return;
        }
        signature = now;
        try {
            String installed = reload.apply();
            counters.success(material);
            LOG.info("reloaded {}: {}", material, installed);
        } catch (Exception e) {
            counters.failure(material);
            LOG.error("REFUSED reload of {} ({}): {}; what is in use stays", material, files, e.getMessage());
        }
    }
}
