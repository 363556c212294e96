package io.gitward.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.phase.PhaseFlags;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/contracts.md section 7 is exactly what {@link PhaseFlags#preset} sets. */
class PhasePresetsContractTest {
    @Test
    void documentedPresetsEqualTheCode() throws Exception {
        List<List<String>> rows = ContractsDocument.load().table("phase-presets");
        assertEquals(7, rows.size());
        for (List<String> row : rows) {
            int phase = Integer.parseInt(row.get(0));
            PhaseFlags flags = PhaseFlags.preset(phase);
            List<String> actual = List.of(String.valueOf(phase), String.valueOf(flags.plaintextListener()),
                    GitwardConfig.wireName(flags.clientAuth()), GitwardConfig.wireName(flags.authorization()),
                    GitwardConfig.wireName(flags.tokens()), String.valueOf(flags.outboundTls()),
                    String.valueOf(flags.outboundClientCert()), GitwardConfig.wireName(flags.outboundToken()),
                    String.valueOf(flags.staleCrlFailsClosed()), String.valueOf(flags.legacyForwardTokenInTransaction()));
            assertEquals(actual, row, "phase " + phase);
        }
    }
}
