package io.gitward.proxy.route;

import io.gitward.proto.RepositoryServiceGrpc;
import java.util.Map;

/** The mutators that bring a repository into the cluster or take it out; every other call needs a known one. */
public enum RepositoryLifecycle {
    CREATES,
    REMOVES,
    CHANGES;

    private static final Map<String, RepositoryLifecycle> SPECIAL = Map.of(
            RepositoryServiceGrpc.getCreateRepositoryMethod().getFullMethodName(), CREATES,
            RepositoryServiceGrpc.getCreateRepositoryFromBundleMethod().getFullMethodName(), CREATES,
            RepositoryServiceGrpc.getRemoveRepositoryMethod().getFullMethodName(), REMOVES);

    public static RepositoryLifecycle of(String fullMethodName) {
        return SPECIAL.getOrDefault(fullMethodName, CHANGES);
    }
}
