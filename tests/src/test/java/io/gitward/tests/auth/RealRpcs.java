package io.gitward.tests.auth;

import static io.grpc.Status.Code.INVALID_ARGUMENT;
import static io.grpc.Status.Code.NOT_FOUND;
import static io.grpc.Status.Code.OK;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.gitward.proto.AcceptDataLossRequest;
import io.gitward.proto.CancelTransactionRequest;
import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.CreateRepositoryFromBundleRequest;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.DataLossReportRequest;
import io.gitward.proto.FetchSnapshotRequest;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.GetClusterStatusRequest;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.GetNodeInfoRequest;
import io.gitward.proto.GetRepositoryStateRequest;
import io.gitward.proto.GetSecurityStatusRequest;
import io.gitward.proto.GetTransactionRequest;
import io.gitward.proto.InfoRefsRequest;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.PostReceivePackRequest;
import io.gitward.proto.PostUploadPackRequest;
import io.gitward.proto.ReadBlobRequest;
import io.gitward.proto.RegisterTransactionRequest;
import io.gitward.proto.RemoveRepositoryRequest;
import io.gitward.proto.ReplicateFromRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryInfoRequest;
import io.gitward.proto.SetPrimaryRequest;
import io.gitward.proto.StopTransactionRequest;
import io.gitward.proto.UpdateReferencesRequest;
import io.gitward.proto.VotePhase;
import io.gitward.proto.VoteRequest;
import io.gitward.proto.WatchTransactionRequest;
import io.gitward.security.authz.MethodInfo;
import io.gitward.security.authz.MethodRegistry;
import io.gitward.tests.storage.Requests;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The real RPCs the auth matrix calls on each kind of node, with arguments chosen so that an authorized call ends in
 * a status only its handler can give, and nothing in the cluster changes:
 * <ul>
 * <li>reads name {@link #PRESENT}, a repository made once before the walk (OK, or NOT_FOUND for a path it does not
 * hold), so through the proxy they reach a storage node;</li>
 * <li>writes name {@link #ABSENT} (NOT_FOUND: nothing to change) or, where that would create something,
 * {@link #INVALID} (INVALID_ARGUMENT: refused before anything is written);</li>
 * <li>admin writes name {@link #ABSENT} (NOT_FOUND); transaction calls name an unknown transaction (NOT_FOUND), a
 * registration has no voters (INVALID_ARGUMENT) and a vote a 3-byte hash (INVALID_ARGUMENT);</li>
 * <li>admin reads return OK.</li>
 * </ul>
 */
final class RealRpcs {
    static final String PRESENT = "authmatrix/present.git";
    static final String ABSENT = "authmatrix/absent.git";
    /** Upper case and no ".git": every node refuses the path before touching the disk. */
    static final String INVALID = "authmatrix/Not-A-Repository";
    static final String UNKNOWN_TRANSACTION = "no-such-transaction";

    private RealRpcs() {
    }

    /**
     * Every RPC the matrix can call on a node of {@code kind} ("storage", "proxy", "coordinator", "gateway") and on
     * every node's health listener, by full method name.
     *
     * @param virtualStorage the storage name repositories are addressed by
     * @param voter          the name of the storage caller, so its vote is cast as itself
     * @param storage        a storage node the proxy knows (for admin writes)
     */
    static Map<String, RealRpc> of(String kind, String virtualStorage, String voter, String storage) {
        Map<String, RealRpc> rpcs = new LinkedHashMap<>();
        switch (kind) {
            case "storage" -> {
                repositoryRpcs(rpcs, virtualStorage);
                add(rpcs, "gitward.ReplicationService/FetchSnapshot", FetchSnapshotRequest.newBuilder()
                        .setRepository(repository(virtualStorage, ABSENT)).build(), NOT_FOUND);
                add(rpcs, "gitward.MaintenanceService/Checksum", ChecksumRequest.newBuilder()
                        .setRepository(repository(virtualStorage, ABSENT)).build(), NOT_FOUND);
                add(rpcs, "gitward.MaintenanceService/ReplicateFrom", ReplicateFromRequest.newBuilder()
                        .setRepository(repository(virtualStorage, INVALID)).setSource(repository(virtualStorage, INVALID))
                        .build(), INVALID_ARGUMENT);
                adminReadRpcs(rpcs);
            }
            case "proxy" -> {
                repositoryRpcs(rpcs, virtualStorage);
                transactionRpcs(rpcs, voter);
                add(rpcs, "gitward.ProxyAdmin/GetClusterStatus", GetClusterStatusRequest.getDefaultInstance(), OK);
                add(rpcs, "gitward.ProxyAdmin/GetRepositoryState", GetRepositoryStateRequest.newBuilder()
                        .setRelativePath(ABSENT).build(), NOT_FOUND);
                add(rpcs, "gitward.ProxyAdmin/DataLossReport", DataLossReportRequest.getDefaultInstance(), OK);
                add(rpcs, "gitward.ProxyAdmin/SetPrimary", SetPrimaryRequest.newBuilder().setRelativePath(ABSENT)
                        .setStorage(storage).build(), NOT_FOUND);
                add(rpcs, "gitward.ProxyAdmin/AcceptDataLoss", AcceptDataLossRequest.newBuilder().setRelativePath(ABSENT)
                        .setAuthoritativeStorage(storage).build(), NOT_FOUND);
                adminReadRpcs(rpcs);
            }
            case "coordinator" -> {
                transactionRpcs(rpcs, voter);
                adminReadRpcs(rpcs);
            }
            case "gateway" -> adminReadRpcs(rpcs);
            default -> throw new IllegalArgumentException("no real RPCs for node kind " + kind);
        }
        HealthCheckRequest health = HealthCheckRequest.getDefaultInstance();
        rpcs.put("grpc.health.v1.Health/Check", new RealRpc("grpc.health.v1.Health/Check",
                MethodDescriptor.MethodType.UNARY, health.toByteArray(), Set.of(OK), null));
        rpcs.put("grpc.health.v1.Health/Watch", new RealRpc("grpc.health.v1.Health/Watch",
                MethodDescriptor.MethodType.SERVER_STREAMING, health.toByteArray(), Set.of(OK), null));
        return rpcs;
    }

    /** PUBLIC: the same on storage and, forwarded, on the proxy. */
    private static void repositoryRpcs(Map<String, RealRpc> rpcs, String storage) {
        Repository present = repository(storage, PRESENT);
        Repository absent = repository(storage, ABSENT);
        Repository invalid = repository(storage, INVALID);
        add(rpcs, "gitward.RepositoryService/CreateRepository", CreateRepositoryRequest.newBuilder().setRepository(invalid)
                .build(), INVALID_ARGUMENT);
        add(rpcs, "gitward.RepositoryService/CreateRepositoryFromBundle", CreateRepositoryFromBundleRequest.newBuilder()
                .setRepository(invalid).setData(bytes("not a bundle")).build(), INVALID_ARGUMENT);
        add(rpcs, "gitward.RepositoryService/RepositoryExists", RepositoryExistsRequest.newBuilder().setRepository(present)
                .build(), OK);
        add(rpcs, "gitward.RepositoryService/RemoveRepository", RemoveRepositoryRequest.newBuilder().setRepository(absent)
                .build(), NOT_FOUND);
        add(rpcs, "gitward.RepositoryService/RepositoryInfo", RepositoryInfoRequest.newBuilder().setRepository(present)
                .build(), OK);
        add(rpcs, "gitward.RefService/ListRefs", ListRefsRequest.newBuilder().setRepository(present).build(), OK);
        add(rpcs, "gitward.RefService/FindRef", FindRefRequest.newBuilder().setRepository(present)
                .setName("refs/heads/absent").build(), OK);
        add(rpcs, "gitward.RefService/UpdateReferences", UpdateReferencesRequest.newBuilder().setRepository(absent)
                .addUpdates(Requests.refUpdate("refs/heads/absent", "", "0".repeat(40))).build(), NOT_FOUND);
        add(rpcs, "gitward.OperationService/CommitFiles", Requests.commit(absent, "main", "never written",
                Requests.create("file.txt", "never written")).build(), NOT_FOUND);
        add(rpcs, "gitward.BlobService/ReadBlob", ReadBlobRequest.newBuilder().setRepository(present).setRevision("HEAD")
                .setPath("absent.txt").build(), NOT_FOUND);
        add(rpcs, "gitward.SmartHttpService/InfoRefsUploadPack", InfoRefsRequest.newBuilder().setRepository(present)
                .build(), OK);
        add(rpcs, "gitward.SmartHttpService/InfoRefsReceivePack", InfoRefsRequest.newBuilder().setRepository(present)
                .build(), OK);
        // A flush packet alone: a fetch that wants nothing.
        add(rpcs, "gitward.SmartHttpService/PostUploadPack", PostUploadPackRequest.newBuilder().setRepository(present)
                .setData(bytes("0000")).build(), OK);
        add(rpcs, "gitward.SmartHttpService/PostReceivePack", PostReceivePackRequest.newBuilder().setRepository(absent)
                .setData(bytes("0000")).build(), NOT_FOUND);
    }

    /** TX_REGISTER, TX_VOTE and InspectTransaction: the same on the coordinator and the proxy's embedded one. */
    private static void transactionRpcs(Map<String, RealRpc> rpcs, String voter) {
        add(rpcs, "gitward.TransactionService/Register", RegisterTransactionRequest.newBuilder()
                .setRepository(ABSENT).setTimeoutMillis(1000).build(), INVALID_ARGUMENT);
        add(rpcs, "gitward.TransactionService/Watch", WatchTransactionRequest.newBuilder()
                .setTransactionId(UNKNOWN_TRANSACTION).build(), NOT_FOUND);
        add(rpcs, "gitward.TransactionService/Stop", StopTransactionRequest.newBuilder()
                .setTransactionId(UNKNOWN_TRANSACTION).build(), NOT_FOUND);
        add(rpcs, "gitward.TransactionService/Cancel", CancelTransactionRequest.newBuilder()
                .setTransactionId(UNKNOWN_TRANSACTION).build(), NOT_FOUND);
        add(rpcs, "gitward.TransactionService/GetTransaction", GetTransactionRequest.newBuilder()
                .setTransactionId(UNKNOWN_TRANSACTION).build(), NOT_FOUND);
        add(rpcs, "gitward.TransactionService/InspectTransaction", GetTransactionRequest.newBuilder()
                .setTransactionId(UNKNOWN_TRANSACTION).build(), NOT_FOUND);
        // Cast as the storage caller itself; a 3-byte hash is refused before the transaction is looked up. Any other
        // caller that gets through authorization is refused by the handler's vote-as-yourself binding instead.
        rpcs.put("gitward.TransactionService/Vote", new RealRpc("gitward.TransactionService/Vote", type(
                "gitward.TransactionService/Vote"), VoteRequest.newBuilder().setTransactionId(UNKNOWN_TRANSACTION)
                .setVoter(voter).setPhase(VotePhase.PREPARED).setHash(bytes("abc")).build().toByteArray(),
                Set.of(INVALID_ARGUMENT), "a vote for voter"));
    }

    /** ADMIN_READ on every node. */
    private static void adminReadRpcs(Map<String, RealRpc> rpcs) {
        add(rpcs, "gitward.NodeService/GetNodeInfo", GetNodeInfoRequest.getDefaultInstance(), OK);
        add(rpcs, "gitward.SecurityAdmin/GetAudit", GetAuditRequest.getDefaultInstance(), OK);
        add(rpcs, "gitward.SecurityAdmin/GetMetrics", GetMetricsRequest.getDefaultInstance(), OK);
        add(rpcs, "gitward.SecurityAdmin/GetSecurityStatus", GetSecurityStatusRequest.getDefaultInstance(), OK);
    }

    private static void add(Map<String, RealRpc> rpcs, String method, Message request, Status.Code... passed) {
        rpcs.put(method, new RealRpc(method, type(method), request.toByteArray(), Set.of(passed), null));
    }

    /** The method's streaming shape, from the proto the nodes serve. */
    private static MethodDescriptor.MethodType type(String method) {
        MethodInfo info = MethodRegistry.instance().find(method)
                .orElseThrow(() -> new IllegalArgumentException(method + " is not a Gitward RPC with a scope"));
        if (info.clientStreaming()) {
            return info.serverStreaming() ? MethodDescriptor.MethodType.BIDI_STREAMING
                    : MethodDescriptor.MethodType.CLIENT_STREAMING;
        }
        return info.serverStreaming() ? MethodDescriptor.MethodType.SERVER_STREAMING : MethodDescriptor.MethodType.UNARY;
    }

    private static Repository repository(String storage, String path) {
        return Requests.repository(storage, path);
    }

    private static ByteString bytes(String text) {
        return ByteString.copyFrom(text, StandardCharsets.UTF_8);
    }
}
