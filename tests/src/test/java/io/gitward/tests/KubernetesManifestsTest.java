package io.gitward.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Static checks of {@code deploy/kubernetes} (no cluster runs here): every node pod mounts exactly its own
 * certificate secret and the public trust ConfigMap; no workload can reach a CA key; every cert-manager Certificate
 * carries the SPIFFE ID, subject and usages of the node that mounts it, and a lifetime that renews well before it
 * ends; readiness and liveness probes ask the health listener; the pod outlives the node's shutdown grace; the phase
 * comes from a ConfigMap; storage nodes are StatefulSets with their repositories on claims. Pod templates are found
 * generically (any map with {@code containers}), so a Job, CronJob, DaemonSet or bare Pod added later is checked too.
 */
class KubernetesManifestsTest {
    private static final Path DIR = GitwardHome.root().resolve("deploy/kubernetes");
    private static final String CA_SECRET = "gitward-issuing-ca";
    private static final Map<String, String> ROLE_OF_KIND = Map.of("storage", "storage", "proxy", "proxy",
            "coordinator", "coordinator", "gateway", "edge");

    private static final List<Map<String, Object>> DOCUMENTS = new ArrayList<>();
    private static final Map<String, String> PHASE = new HashMap<>();

    @BeforeAll
    static void load() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file))) {
                    if (document != null) {
                        Map<String, Object> map = map(document);
                        map.put("__file", file.getFileName().toString());
                        DOCUMENTS.add(map);
                    }
                }
            }
        }
        Map<String, Object> phase = only("ConfigMap", "gitward-phase");
        map(phase.get("data")).forEach((key, value) -> PHASE.put(key, String.valueOf(value)));
    }

    @Test
    void kustomizationListsEveryManifest() throws IOException {
        Map<String, Object> kustomization = only("Kustomization", null);
        Set<String> listed = new TreeSet<>();
        list(kustomization.get("resources")).forEach(entry -> listed.add(String.valueOf(entry)));
        Set<String> files = new TreeSet<>();
        try (Stream<Path> all = Files.list(DIR)) {
            all.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml") && !f.equals("kustomization.yaml"))
                    .forEach(files::add);
        }
        assertEquals(files, listed);
    }

    @Test
    void eachPodMountsOnlyItsOwnKeySecretAndNoWorkloadReachesACaKey() {
        Map<String, String> mountedBy = new HashMap<>();
        for (Map<String, Object> workload : workloads()) {
            String node = nodeName(workload);
            Set<String> secrets = secretsReferenced(podSpec(workload));
            assertEquals(Set.of("gitward-" + node + "-tls"), secrets, where(workload) + ": secrets referenced");
            for (String secret : secrets) {
                String previous = mountedBy.put(secret, where(workload));
                assertEquals(null, previous, secret + " mounted by " + previous + " and " + where(workload));
            }
            assertFalse(secrets.contains(CA_SECRET), where(workload) + " mounts the CA secret");
            for (String configMap : configMapsReferenced(podSpec(workload))) {
                Map<String, Object> data = map(only("ConfigMap", configMap).get("data"));
                data.forEach((key, value) -> assertFalse(String.valueOf(value).contains("PRIVATE KEY"),
                        "ConfigMap " + configMap + " key " + key + " holds a private key"));
            }
            assertEquals(false, podSpec(workload).get("automountServiceAccountToken"), where(workload));
        }
        for (Map<String, Object> document : DOCUMENTS) {
            assertFalse(String.valueOf(document).contains("PRIVATE KEY"), document.get("__file") + " holds a key");
        }
        assertEquals(CA_SECRET, map(map(only("Issuer", "gitward-ca").get("spec")).get("ca")).get("secretName"));
    }

    @Test
    void noPodTemplateOfAnyKindReferencesTheCaSecretOrAnotherPodsSecret() {
        List<String> podSpecs = new ArrayList<>();
        for (Map<String, Object> document : DOCUMENTS) {
            podSpecs(document).forEach(spec -> podSpecs.add(where(document)));
        }
        // The walker finds at least the six node pods (a positive control for the generic search below).
        List<String> nodePods = workloads().stream().map(KubernetesManifestsTest::where).toList();
        assertTrue(podSpecs.containsAll(nodePods), "pod templates found: " + podSpecs + ", expected " + nodePods);
        assertEquals(List.of(), secretViolations(DOCUMENTS, nodeSecrets()));
        // Outside pod templates the CA secret is named by the Issuer only (and never by a Certificate).
        for (Map<String, Object> document : DOCUMENTS) {
            if (!"Issuer".equals(document.get("kind"))) {
                assertFalse(strings(document).contains(CA_SECRET), where(document) + " names " + CA_SECRET);
            }
        }
    }

    @Test
    void theSecretCheckFlagsJobsCronJobsDaemonSetsAndPodsThatReachForSecrets() {
        // Made-up documents of the kinds the manifests do not have yet: the check must catch each of them.
        Set<String> nodeSecrets = nodeSecrets();
        List<Map<String, Object>> bad = List.of(
                document("CronJob", "ca-backup", "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
                        + "          containers: [{name: c}]\n          volumes: [{name: ca, secret: {secretName: "
                        + CA_SECRET + "}}]\n"),
                document("Job", "debug", "spec:\n  template:\n    spec:\n      containers:\n        - name: c\n"
                        + "          env: [{name: K, valueFrom: {secretKeyRef: {name: gitward-proxy-tls, key: tls.key}}}]\n"),
                document("DaemonSet", "agent", "spec:\n  template:\n    spec:\n      containers: [{name: c}]\n"
                        + "      volumes: [{name: v, projected: {sources: [{secret: {name: gitward-storage-1-tls}}]}}]\n"),
                document("Pod", "shell", "spec:\n  containers:\n    - name: c\n      envFrom: [{secretRef: {name: "
                        + CA_SECRET + "}}]\n"),
                document("ReplicaSet", "csi", "spec:\n  template:\n    spec:\n      containers: [{name: c}]\n"
                        + "      volumes: [{name: v, csi: {driver: x, volumeAttributes: {secret: " + CA_SECRET + "}}}]\n"));
        assertEquals(List.of(
                "test CronJob/ca-backup references " + CA_SECRET,
                "test Job/debug references gitward-proxy-tls",
                "test DaemonSet/agent references gitward-storage-1-tls",
                "test Pod/shell references " + CA_SECRET,
                "test ReplicaSet/csi references " + CA_SECRET), secretViolations(bad, nodeSecrets));
        // A node pod that mounts its own secret is fine; one that also mounts another node's is not.
        Map<String, Object> proxy = only("Deployment", "gitward-proxy");
        assertEquals(List.of(), secretViolations(List.of(proxy), nodeSecrets));
        Map<String, Object> greedy = document("Deployment", "gitward-proxy", new Yaml(new SafeConstructor(
                new LoaderOptions())).dump(proxy));
        List<Object> volumes = new ArrayList<>(list(podSpec(greedy).get("volumes")));
        volumes.add(Map.of("name", "stolen", "secret", Map.of("secretName", "gitward-coordinator-tls")));
        podSpec(greedy).put("volumes", volumes);
        assertEquals(List.of("test Deployment/gitward-proxy references gitward-coordinator-tls"),
                secretViolations(List.of(greedy), nodeSecrets));
    }

    @Test
    void everyCertificateRenewsWellBeforeItExpires() {
        for (Map<String, Object> certificate : all("Certificate")) {
            Map<String, Object> spec = map(certificate.get("spec"));
            String where = where(certificate);
            assertNotNull(spec.get("duration"), where + ": duration (cert-manager's default is 90 days)");
            assertNotNull(spec.get("renewBefore"), where + ": renewBefore");
            java.time.Duration duration = goDuration(String.valueOf(spec.get("duration")));
            java.time.Duration renewBefore = goDuration(String.valueOf(spec.get("renewBefore")));
            // cert-manager refuses a duration under 1h and a renewBefore not shorter than the duration.
            assertTrue(duration.compareTo(java.time.Duration.ofHours(1)) >= 0, where + ": duration " + duration);
            assertTrue(renewBefore.compareTo(duration) < 0, where + ": renewBefore " + renewBefore + " < duration " + duration);
            // Renewal leaves time to notice a failed one (at least a tenth of the lifetime), yet keeps a
            // certificate for at least half of its life (at most half the lifetime before expiry).
            assertTrue(renewBefore.multipliedBy(10).compareTo(duration) >= 0, where + ": renewBefore " + renewBefore
                    + " is less than a tenth of " + duration);
            assertTrue(renewBefore.multipliedBy(2).compareTo(duration) <= 0, where + ": renewBefore " + renewBefore
                    + " is more than half of " + duration);
        }
    }

    @Test
    void livenessProbesAskTheHealthListenerLessEagerlyThanReadinessAndPodsOutliveTheShutdownGrace() {
        int healthPort = Integer.parseInt(PHASE.get("GITWARD_LISTEN_HTTP_HEALTH").replaceAll(".*:", ""));
        // node.shutdown-grace: from the shared ConfigMap, else the default (docs/contracts.md section 5).
        java.time.Duration grace = goDuration(PHASE.getOrDefault("GITWARD_NODE_SHUTDOWN_GRACE", "10s"));
        for (Map<String, Object> workload : workloads()) {
            Map<String, Object> container = container(workload);
            Map<String, Object> readiness = map(container.get("readinessProbe"));
            Map<String, Object> liveness = map(container.get("livenessProbe"));
            assertFalse(liveness.isEmpty(), where(workload) + ": no livenessProbe");
            Map<String, Object> get = map(liveness.get("httpGet"));
            assertEquals("/healthz", get.get("path"), where(workload));
            assertEquals(healthPort, containerPort(container, get.get("port")), where(workload) + ": liveness port");
            assertEquals(map(readiness.get("httpGet")).get("port"), get.get("port"), where(workload));
            // A JVM that is still starting must not be killed: a start delay (or a startupProbe) is required.
            assertTrue(intOf(liveness, "initialDelaySeconds", 0) >= 30 || container.containsKey("startupProbe"),
                    where(workload) + ": liveness has no start delay");
            // Liveness gives up later than readiness: a slow node leaves the endpoints before it is restarted.
            int readinessWindow = intOf(readiness, "periodSeconds", 10) * intOf(readiness, "failureThreshold", 3);
            int livenessWindow = intOf(liveness, "periodSeconds", 10) * intOf(liveness, "failureThreshold", 3);
            assertTrue(livenessWindow > readinessWindow, where(workload) + ": liveness window " + livenessWindow
                    + " s <= readiness window " + readinessWindow + " s");
            int termination = intOf(podSpec(workload), "terminationGracePeriodSeconds", 30);
            assertTrue(termination > grace.toSeconds(), where(workload) + ": terminationGracePeriodSeconds "
                    + termination + " does not outlive node.shutdown-grace " + grace);
        }
    }

    @Test
    void theKeyIsPublishedOwnerReadOnlyWithItsChainBundleAndCrlInOneProjectedVolume() {
        for (Map<String, Object> workload : workloads()) {
            Map<String, Object> projected = null;
            for (Object volume : list(podSpec(workload).get("volumes"))) {
                if ("tls".equals(map(volume).get("name"))) {
                    projected = map(map(volume).get("projected"));
                }
            }
            assertNotNull(projected, where(workload) + ": no projected volume 'tls'");
            Map<String, Object> paths = new HashMap<>();
            for (Object source : list(projected.get("sources"))) {
                for (Object kind : map(source).values()) {
                    for (Object item : list(map(kind).get("items"))) {
                        paths.put(String.valueOf(map(item).get("path")), map(item).get("mode"));
                    }
                }
            }
            assertEquals(Set.of("key.pem", "chain.pem", "roots.pem", "crl.pem", "intermediates.pem"), paths.keySet(),
                    where(workload));
            assertEquals(0400, paths.get("key.pem"), where(workload) + ": key.pem mode (Gitward refuses group/other access)");
            Map<String, Object> container = container(workload);
            boolean mounted = list(container.get("volumeMounts")).stream().map(KubernetesManifestsTest::map)
                    .anyMatch(m -> "tls".equals(m.get("name")) && "/run/gitward/tls".equals(m.get("mountPath"))
                            && Boolean.TRUE.equals(m.get("readOnly")));
            assertTrue(mounted, where(workload) + ": tls mounted read-only at /run/gitward/tls");
            for (String key : List.of("GITWARD_SECURITY_TLS_KEY", "GITWARD_SECURITY_TLS_CERTIFICATE_CHAIN",
                    "GITWARD_SECURITY_TRUST_ROOTS", "GITWARD_SECURITY_TRUST_CRLS")) {
                assertTrue(PHASE.get(key).startsWith("/run/gitward/tls/"), key);
                assertTrue(paths.containsKey(PHASE.get(key).substring("/run/gitward/tls/".length())), key);
            }
        }
    }

    @Test
    void everyCertificateCarriesTheIdentityOfTheNodeThatMountsIt() {
        String domain = PHASE.get("GITWARD_SECURITY_TRUST_DOMAIN");
        Map<String, Map<String, Object>> bySecret = new HashMap<>();
        for (Map<String, Object> certificate : all("Certificate")) {
            Map<String, Object> spec = map(certificate.get("spec"));
            bySecret.put(String.valueOf(spec.get("secretName")), spec);
        }
        assertEquals(workloads().size(), bySecret.size(), "one Certificate per node");
        for (Map<String, Object> workload : workloads()) {
            String node = nodeName(workload);
            String role = ROLE_OF_KIND.get(kindOf(workload));
            Map<String, Object> spec = bySecret.get("gitward-" + node + "-tls");
            assertNotNull(spec, where(workload) + ": no Certificate writes gitward-" + node + "-tls");
            assertEquals(List.of("spiffe://" + domain + "/" + role + "/" + node), spec.get("uris"), where(workload));
            assertEquals(node, spec.get("commonName"));
            Map<String, Object> subject = map(spec.get("subject"));
            assertEquals(List.of(domain), subject.get("organizations"));
            assertEquals(List.of(role), subject.get("organizationalUnits"));
            assertEquals(Set.of("digital signature", "server auth", "client auth"), Set.copyOf(list(spec.get("usages"))));
            assertEquals(false, spec.get("isCA"));
            assertEquals("ECDSA", map(spec.get("privateKey")).get("algorithm"));
            assertEquals("Always", map(spec.get("privateKey")).get("rotationPolicy"), "a renewal brings a new key");
            assertEquals(Map.of("group", "cert-manager.io", "kind", "Issuer", "name", "gitward-ca"), spec.get("issuerRef"));
        }
    }

    @Test
    void readinessProbesAskTheHealthListenerAndThePhaseComesFromAConfigMap() {
        int phase = Integer.parseInt(PHASE.get("GITWARD_SECURITY_PHASE"));
        assertTrue(phase >= 0 && phase <= 6, "phase " + phase);
        int healthPort = Integer.parseInt(PHASE.get("GITWARD_LISTEN_HTTP_HEALTH").replaceAll(".*:", ""));
        for (Map<String, Object> workload : workloads()) {
            Map<String, Object> container = container(workload);
            Map<String, Object> probe = map(map(container.get("readinessProbe")).get("httpGet"));
            assertEquals("/healthz", probe.get("path"), where(workload));
            Object port = probe.get("port");
            for (Object declared : list(container.get("ports"))) {
                if (map(declared).get("name").equals(port)) {
                    port = map(declared).get("containerPort");
                }
            }
            assertEquals(healthPort, port, where(workload) + ": readiness probe port");
            boolean phaseFromConfigMap = list(container.get("envFrom")).stream().map(KubernetesManifestsTest::map)
                    .anyMatch(e -> e.containsKey("configMapRef")
                            && "gitward-phase".equals(map(e.get("configMapRef")).get("name")));
            assertTrue(phaseFromConfigMap, where(workload) + ": envFrom gitward-phase");
            for (Object env : list(container.get("env"))) {
                assertFalse(String.valueOf(map(env).get("name")).equals("GITWARD_SECURITY_PHASE"), where(workload)
                        + " overrides the phase");
            }
        }
    }

    @Test
    void storageNodesAreStatefulSetsWithTheirRepositoriesOnClaims() {
        List<Map<String, Object>> storage = workloads().stream().filter(w -> kindOf(w).equals("storage")).toList();
        assertEquals(3, storage.size());
        for (Map<String, Object> workload : storage) {
            assertEquals("StatefulSet", workload.get("kind"), where(workload));
            Set<String> claims = new TreeSet<>();
            for (Object template : list(map(workload.get("spec")).get("volumeClaimTemplates"))) {
                claims.add(String.valueOf(map(map(template).get("metadata")).get("name")));
            }
            assertEquals(Set.of("data", "repos"), claims, where(workload));
            boolean reposMounted = list(container(workload).get("volumeMounts")).stream().map(KubernetesManifestsTest::map)
                    .anyMatch(m -> "repos".equals(m.get("name")) && "/var/lib/gitward/repos".equals(m.get("mountPath")));
            assertTrue(reposMounted, where(workload));
        }
    }

    /** Every node's certificate secret, from the Certificates. */
    private static Set<String> nodeSecrets() {
        Set<String> secrets = new TreeSet<>();
        all("Certificate").forEach(c -> secrets.add(String.valueOf(map(c.get("spec")).get("secretName"))));
        assertEquals(6, secrets.size(), "one secret per node");
        return secrets;
    }

    /**
     * For every pod template in {@code documents}: each string in it that names the CA secret or a node secret
     * other than the pod's own (a node pod's own is {@code gitward-<GITWARD_NODE_NAME>-tls}; other pods own none).
     */
    private static List<String> secretViolations(List<Map<String, Object>> documents, Set<String> nodeSecrets) {
        List<String> violations = new ArrayList<>();
        for (Map<String, Object> document : documents) {
            for (Map<String, Object> pod : podSpecs(document)) {
                String own = ownSecret(pod);
                Set<String> referenced = new TreeSet<>(strings(pod));
                referenced.addAll(secretsReferenced(pod));
                for (String value : referenced) {
                    if (value.equals(CA_SECRET) || (nodeSecrets.contains(value) && !value.equals(own))) {
                        violations.add(where(document) + " references " + value);
                    }
                }
            }
        }
        return violations;
    }

    /** The pod's own secret: its one container's GITWARD_NODE_NAME, or null for pods that are not nodes. */
    private static String ownSecret(Map<String, Object> pod) {
        for (Object container : list(pod.get("containers"))) {
            for (Object env : list(map(container).get("env"))) {
                if ("GITWARD_NODE_NAME".equals(map(env).get("name"))) {
                    return "gitward-" + map(env).get("value") + "-tls";
                }
            }
        }
        return null;
    }

    /** Pod specs anywhere in a document (Deployment, StatefulSet, Job, CronJob, DaemonSet, Pod...): maps with containers. */
    private static List<Map<String, Object>> podSpecs(Object node) {
        List<Map<String, Object>> found = new ArrayList<>();
        if (node instanceof Map<?, ?> map) {
            if (map.get("containers") instanceof List<?>) {
                found.add(map(map));
                return found;
            }
            map.values().forEach(value -> found.addAll(podSpecs(value)));
        } else if (node instanceof List<?> items) {
            items.forEach(item -> found.addAll(podSpecs(item)));
        }
        return found;
    }

    /** Every string scalar under {@code node}, keys included. */
    private static Set<String> strings(Object node) {
        Set<String> out = new TreeSet<>();
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                out.add(String.valueOf(key));
                out.addAll(strings(value));
            });
        } else if (node instanceof List<?> items) {
            items.forEach(item -> out.addAll(strings(item)));
        } else if (node instanceof String text) {
            out.add(text);
        }
        return out;
    }

    private static Map<String, Object> document(String kind, String name, String yaml) {
        Map<String, Object> document = map(new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml));
        document.put("kind", kind);
        document.put("metadata", new HashMap<>(Map.of("name", name)));
        document.put("__file", "test");
        return document;
    }

    /** A Go duration as cert-manager and Kubernetes write them: {@code 2160h}, {@code 30m}, {@code 1h30m}, {@code 45s}. */
    static java.time.Duration goDuration(String text) {
        java.util.regex.Matcher part = java.util.regex.Pattern.compile("(\\d+)(h|m|s)").matcher(text);
        java.time.Duration total = java.time.Duration.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "h" -> java.time.Duration.ofHours(amount);
                case "m" -> java.time.Duration.ofMinutes(amount);
                default -> java.time.Duration.ofSeconds(amount);
            });
            end = part.end();
        }
        assertTrue(end == text.length() && end > 0, "'" + text + "' is not a duration such as 24h or 1h30m");
        return total;
    }

    private static int intOf(Map<String, Object> map, String key, int kubernetesDefault) {
        Object value = map.get(key);
        return value == null ? kubernetesDefault : ((Number) value).intValue();
    }

    private static Object containerPort(Map<String, Object> container, Object port) {
        for (Object declared : list(container.get("ports"))) {
            if (map(declared).get("name").equals(port)) {
                return map(declared).get("containerPort");
            }
        }
        return port;
    }

    private static List<Map<String, Object>> workloads() {
        List<Map<String, Object>> result = new ArrayList<>(all("Deployment"));
        result.addAll(all("StatefulSet"));
        assertEquals(6, result.size(), "coordinator, 3 storage, proxy, gateway");
        return result;
    }

    private static Map<String, Object> podSpec(Map<String, Object> workload) {
        return map(map(map(workload.get("spec")).get("template")).get("spec"));
    }

    private static Map<String, Object> container(Map<String, Object> workload) {
        List<Object> containers = list(podSpec(workload).get("containers"));
        assertEquals(1, containers.size(), where(workload));
        assertEquals(null, podSpec(workload).get("initContainers"), where(workload));
        return map(containers.get(0));
    }

    /** The node kind from {@code args: [node, KIND, --config, FILE]}. */
    private static String kindOf(Map<String, Object> workload) {
        List<Object> args = list(container(workload).get("args"));
        assertEquals("node", args.get(0), where(workload));
        return String.valueOf(args.get(1));
    }

    private static String nodeName(Map<String, Object> workload) {
        for (Object env : list(container(workload).get("env"))) {
            if ("GITWARD_NODE_NAME".equals(map(env).get("name"))) {
                return String.valueOf(map(env).get("value"));
            }
        }
        throw new AssertionError(where(workload) + ": no GITWARD_NODE_NAME");
    }

    /** Every secret a pod can read: volumes, projected sources, env and envFrom. */
    private static Set<String> secretsReferenced(Map<String, Object> pod) {
        Set<String> names = new TreeSet<>();
        collect(pod, names, "secret", "secretName", "name");
        collect(pod, names, "secretRef", "name");
        collect(pod, names, "secretKeyRef", "name");
        return names;
    }

    private static Set<String> configMapsReferenced(Map<String, Object> pod) {
        Set<String> names = new TreeSet<>();
        collect(pod, names, "configMap", "name");
        collect(pod, names, "configMapRef", "name");
        collect(pod, names, "configMapKeyRef", "name");
        return names;
    }

    /** Walks the tree; under every key {@code field}, adds the first of {@code nameKeys} present. */
    private static void collect(Object node, Set<String> out, String field, String... nameKeys) {
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (field.equals(entry.getKey()) && entry.getValue() instanceof Map<?, ?> reference) {
                    for (String key : nameKeys) {
                        if (reference.get(key) != null) {
                            out.add(String.valueOf(reference.get(key)));
                            break;
                        }
                    }
                }
                collect(entry.getValue(), out, field, nameKeys);
            }
        } else if (node instanceof List<?> items) {
            items.forEach(item -> collect(item, out, field, nameKeys));
        }
    }

    private static List<Map<String, Object>> all(String kind) {
        return DOCUMENTS.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    private static Map<String, Object> only(String kind, String name) {
        List<Map<String, Object>> found = all(kind).stream()
                .filter(d -> name == null || name.equals(map(d.get("metadata")).get("name"))).toList();
        assertEquals(1, found.size(), kind + " " + name);
        return found.get(0);
    }

    private static String where(Map<String, Object> document) {
        return document.get("__file") + " " + document.get("kind") + "/" + map(document.get("metadata")).get("name");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value == null ? new HashMap<>() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return value == null ? List.of() : (List<Object>) value;
    }
}
