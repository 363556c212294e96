package io.gitward.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.config.EnvironmentOverrides;
import io.gitward.security.config.GitwardConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** docs/contracts.md section 5 lists exactly the keys every reference.conf defines, with their variables. */
class ConfigKeysContractTest {
    @Test
    void documentedKeysAndVariablesEqualTheKeysTheNodesKnow() throws Exception {
        Map<String, String> documented = new TreeMap<>();
        for (List<String> row : ContractsDocument.load().table("config-keys")) {
            documented.put(unquote(row.get(0)), unquote(row.get(1)));
        }
        assertEquals(GitwardConfig.knownKeysWithVariables(), documented,
                "docs/contracts.md section 5 must list every config key with its GITWARD_* variable");
    }

    @Test
    void theOperatorEndpointListenersAndTheirLimitAreKnownKeys() {
        Map<String, String> known = GitwardConfig.knownKeysWithVariables();
        assertEquals("GITWARD_LISTEN_HTTP_TLS", known.get("listen.http-tls"));
        assertEquals("GITWARD_LISTEN_HTTP_PLAINTEXT", known.get("listen.http-plaintext"));
        assertEquals("GITWARD_LISTEN_HTTP_HEALTH", known.get("listen.http-health"));
        assertEquals("GITWARD_SECURITY_LIMITS_IDLE_TIMEOUT", known.get("security.limits.idle-timeout"));
    }

    @Test
    void theSidecarsModesAndPinnedPeerAreKnownKeys() {
        Map<String, String> known = GitwardConfig.knownKeysWithVariables();
        assertEquals("GITWARD_SIDECAR_ROLE", known.get("sidecar.role"));
        assertEquals("GITWARD_SIDECAR_INBOUND_ROUTES", known.get("sidecar.inbound.routes"));
        assertEquals("GITWARD_SIDECAR_INBOUND_TARGET", known.get("sidecar.inbound.target"));
        assertEquals("GITWARD_SIDECAR_OUTBOUND_LISTEN", known.get("sidecar.outbound.listen"));
        assertEquals("GITWARD_SIDECAR_OUTBOUND_PEER_IDENTITY", known.get("sidecar.outbound.peer.identity"));
        assertEquals("GITWARD_SIDECAR_OUTBOUND_PEER_ADDRESS", known.get("sidecar.outbound.peer.address"));
    }

    @Test
    void noTwoKeysShareAnEnvironmentVariable() {
        Map<String, String> keyByVariable = new HashMap<>();
        GitwardConfig.knownKeysWithVariables().forEach((key, variable) -> {
            String previous = keyByVariable.put(variable, key);
            assertTrue(previous == null, variable + " would override both " + previous + " and " + key);
        });
    }

    @Test
    void variableNamesFollowTheRule() {
        assertEquals("GITWARD_SECURITY_PHASE", EnvironmentOverrides.variableFor("security.phase"));
        assertEquals("GITWARD_NODE_DATA_DIR", EnvironmentOverrides.variableFor("node.data-dir"));
    }

    private static String unquote(String cell) {
        return cell.replace("`", "");
    }
}
