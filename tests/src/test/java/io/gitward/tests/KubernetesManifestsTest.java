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
 * carries the SPIFFE ID, subject and usages of the node that mounts it; readiness probes ask the health listener;
 * the phase comes from a ConfigMap; storage nodes are StatefulSets with their repositories on claims.
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
