package io.gitward.tests.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.BlobServiceGrpc;
import io.gitward.proto.CommitFilesResponse;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.GetTransactionRequest;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.ListRefsResponse;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.ReadBlobRequest;
import io.gitward.proto.ReadBlobResponse;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.Reference;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.proto.UpdateReferencesRequest;
import io.gitward.security.identity.Role;
import io.gitward.tests.SuiteSummary;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.storage.Requests;
import io.gitward.tests.wire.Captures.Mark;
import io.gitward.tests.wire.Captures.Segment;
import io.gitward.tests.wire.WireSearch.Hit;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * What actually travels between nodes, phase by phase. Storage nodes and the coordinator record every inbound byte
 * behind TLS and decode it (headers, gRPC messages); relays record every plaintext link. A cluster driven through
 * phases 0..6 with transactional writes (votes travel storage to coordinator) and reads in each phase is then searched
 * for the token secret and every node's private key (never allowed on the wire), and for bearer tokens (allowed only
 * in phases 0-2). Positive controls: in phases 0-2 the legacy callback token inside {@code gitward-transaction-bin}
 * must be found (on the plaintext relays in phase 0, behind TLS in 1-2), and at phase 6 secrets the test itself sends
 * over TLS must be flagged by the same check.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WireIT {
    private static final String REPO = "wire/phases.git";
    private static final String ZEROS = "0".repeat(40);
    private static final Duration QUIET = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    private WireCluster wire;
    /** Marks in order; segment i runs from mark i-1 to mark i and carries mark i's name. */
    private final List<Map.Entry<String, Mark>> marks = new ArrayList<>();
    private final Map<String, String> figures = new LinkedHashMap<>();
    private int cases;
    private int passed;

    @BeforeAll
    void startCluster() throws Exception {
        marks.add(Map.entry("start", new Mark(Map.of())));
        wire = WireCluster.start(dir);
    }

    @AfterAll
    void stopCluster() {
        if (wire != null) {
            wire.close();
        }
        SuiteSummary.record("wire", cases, passed, cases - passed, figures);
    }

    @Test
    @Order(1)
    void noSecretEverAndNoTokenFromPhase3OnAnyLinkOrNode() throws Exception {
        for (int phase = 0; phase <= 6; phase++) {
            if (phase > 0) {
                wire.movePhase(phase);
                marks.add(Map.entry("into " + phase, wire.captures().mark()));
            }
            String commit = writeAndRead(phase);
            marks.add(Map.entry("phase " + phase, wire.captures().markWhenQuiet(QUIET)));
            assertEquals(40, commit.length());
        }

        Map<String, List<WireJournal.Event>> all = wire.captures().readAll();
        List<Segment> segments = segments(all, marks);
        Set<String> bearer = new LinkedHashSet<>(wire.issuedTokens());
        segments.forEach(segment -> {
            bearer.addAll(segment.bearerValues());
            bearer.addAll(segment.callbackTokens());
        });
        Needles needles = wire.secrets();
        bearer.forEach(needles::bearerToken);
        WireSearch search = new WireSearch(needles.all());

        List<String> failures = new ArrayList<>();
        Map<String, Integer> hitsPerSegment = new LinkedHashMap<>();
        int rawHits = 0;
        long bytes = 0;
        int views = 0;
        int captures = 0;
        int callsRecorded = 0;
        for (Segment segment : segments) {
            List<WireSearch.View> segmentViews = segment.views();
            List<Hit> hits = new ArrayList<>();
            for (WireSearch.View view : segmentViews) {
                hits.addAll(search.search(segment.name(), view));
                bytes += view.bytes().length;
            }
            views += segmentViews.size();
            captures += segment.connections();
            hitsPerSegment.put(segment.name(), hits.size());
            rawHits += (int) hits.stream().filter(hit -> hit.where().equals("raw bytes")).count();
            int phase = phaseOf(segment.name());
            // While nodes move from 2 to 3 one still at 2 may rightly send a token; from "phase 3" on none may.
            boolean tokensAllowed = phase <= 2 || segment.name().equals("into 3");
            for (String node : WireCluster.RECORDED) {
                callsRecorded += segment.calls(node, null).size();
            }
            List<String> segmentFailures = check(segment, hits, tokensAllowed);
            if (segment.name().startsWith("phase ")) {
                segmentFailures.addAll(coverage(segment, phase));
                if (phase <= 2) {
                    segmentFailures.addAll(positiveControl(segment, phase, hits));
                }
            }
            cases++;
            passed += segmentFailures.isEmpty() ? 1 : 0;
            failures.addAll(segmentFailures);
        }
        figures.put("phases", "0-6");
        figures.put("needles", Integer.toString(needles.size()));
        figures.put("bearer_values", Integer.toString(bearer.size()));
        figures.put("captures", Integer.toString(captures));
        figures.put("views", Integer.toString(views));
        figures.put("bytes_searched", Long.toString(bytes));
        figures.put("calls_recorded", Integer.toString(callsRecorded));
        figures.put("relays", Integer.toString(wire.relayCount()));
        figures.put("hits", compact(hitsPerSegment));
        figures.put("raw_hits", Integer.toString(rawHits));
        assertTrue(failures.isEmpty(), failures.size() + " problem(s) on the wire:\n  " + String.join("\n  ",
                failures.subList(0, Math.min(40, failures.size()))) + (failures.size() > 40 ? "\n  ... and "
                + (failures.size() - 40) + " more" : ""));
    }

    /**
     * Positive control under TLS, in the test: at phase 6 a client sends a bearer token, a node's private key in a
     * binary header and the secret (hex) inside a message, each straight to a recorded node over mTLS, on calls that
     * authorization refuses. The same check that passes phases 3-6 must flag all three, each where it was put.
     */
    @Test
    @Order(2)
    void theCheckFlagsSecretsSentOverTls() throws Exception {
        if (wire.phase() != 6) {
            wire.movePhase(6);
        }
        Mark before = wire.captures().markWhenQuiet(QUIET);
        String token = wire.issueToken();
        byte[] keyDer = derOf(wire.keyFile(Role.STORAGE, "storage-1"));
        String secretHex = HexFormat.of().formatHex(wire.secret().getBytes(StandardCharsets.UTF_8));

        Metadata bearer = new Metadata();
        bearer.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        ManagedChannel storage1 = wire.direct("storage-1", Role.CLIENT, "client-1");
        assertDenied(() -> RefServiceGrpc.newBlockingStub(storage1).withDeadlineAfter(20, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer))
                .findRef(FindRefRequest.newBuilder().setRepository(repository(REPO)).setName("refs/heads/main").build()));

        Metadata key = new Metadata();
        key.put(Metadata.Key.of("x-wire-control-bin", Metadata.BINARY_BYTE_MARSHALLER), keyDer);
        ManagedChannel coordinator = wire.direct(WireCluster.COORDINATOR, Role.CLIENT, "client-1");
        assertDenied(() -> TransactionServiceGrpc.newBlockingStub(coordinator).withDeadlineAfter(20, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                .getTransaction(GetTransactionRequest.newBuilder().setTransactionId("wire-control").build()));

        ManagedChannel storage2 = wire.direct("storage-2", Role.CLIENT, "client-1");
        assertDenied(() -> RepositoryServiceGrpc.newBlockingStub(storage2).withDeadlineAfter(20, TimeUnit.SECONDS)
                .repositoryExists(RepositoryExistsRequest.newBuilder().setRepository(repository("control/" + secretHex
                        + ".git")).build()));

        Mark after = wire.captures().markWhenQuiet(QUIET);
        Segment control = Captures.segment("control", wire.captures().readAll(), before, after);
        Needles needles = wire.secrets().bearerToken(token);
        WireSearch search = new WireSearch(needles.all());
        List<Hit> hits = new ArrayList<>();
        control.views().forEach(view -> hits.addAll(search.search("control", view)));

        List<String> failures = check(control, hits, false);
        List<String> missed = new ArrayList<>();
        expectHit(missed, hits, "the bearer token in storage-1's authorization header", hit -> hit.source().equals("storage-1")
                && hit.where().endsWith("header authorization") && token.equals(hit.value()));
        expectHit(missed, hits, "storage-1's key (DER) in the coordinator's x-wire-control-bin header", hit -> hit.source()
                .equals(WireCluster.COORDINATOR) && hit.where().endsWith("header x-wire-control-bin (base64-decoded)")
                && hit.needle().equals("private key of storage-1 (DER)"));
        expectHit(missed, hits, "the secret (hex) in storage-2's message", hit -> hit.source().equals("storage-2")
                && hit.where().endsWith("message") && hit.needle().equals("token secret (hex)"));
        figures.put("tls_controls", "3");
        figures.put("tls_control_hits", Integer.toString(hits.size()));
        cases += 3;
        passed += 3 - missed.size();
        assertTrue(missed.isEmpty(), "the search missed what the test sent over TLS (the check is blind): " + missed
                + "; hits: " + hits);
        assertTrue(failures.size() >= 3, "the leak check must report the three secrets sent at phase 6, reported: "
                + failures);
    }

    /** One phase's traffic: a transactional commit and reference update through the proxy, then reads. */
    private String writeAndRead(int phase) {
        ManagedChannel client = wire.client();
        if (phase == 0) {
            RepositoryServiceGrpc.newBlockingStub(client).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .createRepository(CreateRepositoryRequest.newBuilder().setRepository(repository(REPO)).build());
        }
        String file = "phase-" + phase + ".txt";
        String content = "written in phase " + phase + "\n";
        CommitFilesResponse commit = OperationServiceGrpc.newBlockingStub(client).withDeadlineAfter(60, TimeUnit.SECONDS)
                .commitFiles(Requests.commit(repository(REPO), "main", "phase " + phase, Requests.create(file, content))
                        .build());
        String branch = "refs/heads/phase-" + phase;
        RefServiceGrpc.newBlockingStub(client).withDeadlineAfter(60, TimeUnit.SECONDS).updateReferences(
                UpdateReferencesRequest.newBuilder().setRepository(repository(REPO))
                        .addUpdates(Requests.refUpdate(branch, ZEROS, commit.getCommitId())).build());

        Reference main = RefServiceGrpc.newBlockingStub(client).withDeadlineAfter(60, TimeUnit.SECONDS).findRef(
                FindRefRequest.newBuilder().setRepository(repository(REPO)).setName("refs/heads/main").build())
                .getReference();
        assertEquals(commit.getCommitId(), main.getTarget(), "phase " + phase + ": main after the commit");
        List<String> refs = new ArrayList<>();
        Iterator<ListRefsResponse> listed = RefServiceGrpc.newBlockingStub(client).withDeadlineAfter(60, TimeUnit.SECONDS)
                .listRefs(ListRefsRequest.newBuilder().setRepository(repository(REPO)).build());
        listed.forEachRemaining(response -> response.getReferencesList().forEach(ref -> refs.add(ref.getName())));
        assertTrue(refs.contains(branch), "phase " + phase + ": " + branch + " listed: " + refs);
        StringBuilder read = new StringBuilder();
        Iterator<ReadBlobResponse> blob = BlobServiceGrpc.newBlockingStub(client).withDeadlineAfter(60, TimeUnit.SECONDS)
                .readBlob(ReadBlobRequest.newBuilder().setRepository(repository(REPO)).setRevision(branch).setPath(file)
                        .build());
        blob.forEachRemaining(response -> read.append(response.getData().toStringUtf8()));
        assertEquals(content, read.toString(), "phase " + phase + ": " + file + " read back");
        return commit.getCommitId();
    }

    /**
     * The rules for one segment: nothing undecodable (a blind spot), never the secret or a key, and bearer tokens
     * (known or merely token-shaped) only where {@code tokensAllowed}.
     */
    private static List<String> check(Segment segment, List<Hit> hits, boolean tokensAllowed) {
        List<String> failures = new ArrayList<>();
        segment.problems().forEach(problem -> failures.add(segment.name() + ": not decodable, so not searched: "
                + problem));
        for (Hit hit : hits) {
            boolean token = hit.needle().startsWith("bearer token");
            if (!token || !tokensAllowed) {
                String link = Captures.isRelay(hit.source()) ? "on a plaintext link"
                        : segment.tls(hit.source(), hit.connection()) ? "received behind TLS" : "received over plaintext";
                failures.add(hit + " (" + link + ")");
            }
        }
        return failures;
    }

    /**
     * Non-vacuity: in each phase every recorded node received calls, the coordinator received votes, and from phase
     * 1 every call reached the recorded nodes over TLS (so the search ran on decrypted bytes); in phase 0 the relays
     * carried calls to every storage node and the coordinator.
     */
    private static List<String> coverage(Segment segment, int phase) {
        List<String> failures = new ArrayList<>();
        for (String node : WireCluster.RECORDED) {
            if (segment.calls(node, null).isEmpty()) {
                failures.add(segment.name() + ": the recorder of " + node + " saw no call (is it recording?)");
            }
            if (phase >= 1 && !segment.plaintextCalls(node).isEmpty()) {
                failures.add(segment.name() + ": calls reached " + node + " over plaintext: " + segment.plaintextCalls(node));
            }
            if (phase == 0 && segment.calls(Captures.RELAY_PREFIX + node, null).isEmpty()) {
                failures.add(segment.name() + ": nothing crossed the plaintext relay to " + node);
            }
        }
        if (segment.calls(WireCluster.COORDINATOR, "gitward.TransactionService/Vote").isEmpty()) {
            failures.add(segment.name() + ": the coordinator received no vote (the write path did not run)");
        }
        return failures;
    }

    /**
     * Phases 0-2 preset the legacy callback token: each one found in a {@code gitward-transaction-bin} header must also
     * be found by the search; in phase 0 on a plaintext relay, in phases 1-2 behind TLS in a recorder.
     */
    private static List<String> positiveControl(Segment segment, int phase, List<Hit> hits) {
        List<String> failures = new ArrayList<>();
        List<String> callbacks = segment.callbackTokens();
        if (callbacks.isEmpty()) {
            failures.add(segment.name() + ": no legacy callback token in any gitward-transaction-bin header (the legacy"
                    + " option is preset in phases 0-2: the positive control has nothing to find)");
        }
        for (String callback : new LinkedHashSet<>(callbacks)) {
            if (hits.stream().noneMatch(hit -> callback.equals(hit.value()))) {
                failures.add(segment.name() + ": a callback token in gitward-transaction-bin was not found by the search"
                        + " (the search is broken)");
            }
        }
        Predicate<Hit> where = phase == 0 ? hit -> Captures.isRelay(hit.source())
                : hit -> !Captures.isRelay(hit.source()) && segment.tls(hit.source(), hit.connection());
        boolean found = hits.stream().anyMatch(hit -> callbacks.contains(hit.value()) && where.test(hit));
        if (!found) {
            failures.add(segment.name() + ": the callback token was not found " + (phase == 0 ? "on a plaintext relay"
                    : "behind TLS in a recorder"));
        }
        return failures;
    }

    private static List<Segment> segments(Map<String, List<WireJournal.Event>> all, List<Map.Entry<String, Mark>> marks) {
        List<Segment> segments = new ArrayList<>();
        for (int i = 1; i < marks.size(); i++) {
            segments.add(Captures.segment(marks.get(i).getKey(), all, marks.get(i - 1).getValue(), marks.get(i).getValue()));
        }
        return segments;
    }

    private static int phaseOf(String segment) {
        return Integer.parseInt(segment.substring(segment.lastIndexOf(' ') + 1));
    }

    private static void expectHit(List<String> missed, List<Hit> hits, String what, Predicate<Hit> matches) {
        if (hits.stream().noneMatch(matches)) {
            missed.add(what);
        }
    }

    private static void assertDenied(org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, call);
        assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode(), denied.getStatus().toString());
    }

    private static byte[] derOf(Path keyFile) throws Exception {
        String body = java.nio.file.Files.readString(keyFile).lines().filter(line -> !line.startsWith("-----"))
                .map(String::strip).reduce("", String::concat);
        return Base64.getDecoder().decode(body);
    }

    private static Repository repository(String path) {
        return Requests.repository(MiniCluster.VIRTUAL_STORAGE, path);
    }

    private static String compact(Map<String, Integer> perSegment) {
        List<String> parts = new ArrayList<>();
        perSegment.forEach((segment, count) -> parts.add(segment.replace("phase ", "p").replace("into ", "to") + ":" + count));
        return String.join(",", parts);
    }
}
