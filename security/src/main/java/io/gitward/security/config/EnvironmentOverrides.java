package io.gitward.security.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The environment-override rule: every config key {@code a.b-c} can be set by {@code GITWARD_A_B_C}
 * ('.' and '-' become '_', upper case). Values take the type of the key: numbers, booleans, durations
 * as text, lists as HOCON lists ({@code [a, b]}). An unknown {@code GITWARD_*} variable is a problem
 * (a typo must not silently change nothing), except the launcher's own variables.
 */
public final class EnvironmentOverrides {
    public static final String PREFIX = "GITWARD_";

    /** Variables that belong to the launcher and tools, not to node config. */
    public static final Set<String> RESERVED = Set.of("GITWARD_HOME", "GITWARD_JAVA", "GITWARD_JAVA_OPTS",
            "GITWARD_SKIP_BUILD", "GITWARD_CA_PASSPHRASE_FILE", "GITWARD_LOG_LEVEL", "GITWARD_ROOT", "GITWARD_DIR");

    private EnvironmentOverrides() {
    }

    /** The variable that overrides {@code key}. */
    public static String variableFor(String key) {
        return PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * Builds a config holding the overrides found in {@code environment} for the known keys.
     *
     * @param knownKeys every leaf key and its reference value (for its type)
     */
    public static Config from(Map<String, String> environment, Map<String, ConfigValue> knownKeys, ConfigProblems problems) {
        Map<String, String> keyByVariable = new TreeMap<>();
        for (String key : knownKeys.keySet()) {
            keyByVariable.put(variableFor(key), key);
        }
        Config overrides = ConfigFactory.empty();
        for (Map.Entry<String, String> variable : new TreeMap<>(environment).entrySet()) {
            String name = variable.getKey();
            if (!name.startsWith(PREFIX) || RESERVED.contains(name)) {
                continue;
            }
            String key = keyByVariable.get(name);
            if (key == null) {
                problems.add("environment " + name, "no config key has this name (expected one of the keys in "
                        + "docs/contracts.md, e.g. GITWARD_SECURITY_PHASE for security.phase)");
                continue;
            }
            Object value = convert(variable.getValue(), knownKeys.get(key), key, name, problems);
            if (value != null) {
                overrides = overrides.withValue(key, ConfigValueFactory.fromAnyRef(value, "environment " + name));
            }
        }
        return overrides;
    }

    private static Object convert(String text, ConfigValue reference, String key, String variable, ConfigProblems problems) {
        ConfigValueType type = reference == null ? ConfigValueType.STRING : reference.valueType();
        try {
            switch (type) {
                case NUMBER:
                    return Long.parseLong(text.trim());
                case BOOLEAN:
                    if (text.equals("true") || text.equals("false")) {
                        return Boolean.parseBoolean(text);
                    }
                    problems.add(key, "'" + text + "' from " + variable + " (expected: true or false)");
                    return null;
                case LIST:
                    return parseList(text);
                default:
                    return text;
            }
        } catch (NumberFormatException e) {
            problems.add(key, "'" + text + "' from " + variable + " (expected: a whole number)");
            return null;
        } catch (ConfigException e) {
            problems.add(key, "'" + text + "' from " + variable + " (expected: a list such as [a, b])");
            return null;
        }
    }

    private static List<Object> parseList(String text) {
        String trimmed = text.trim();
        if (!trimmed.startsWith("[")) {
            List<Object> items = new ArrayList<>();
            for (String item : trimmed.split(",")) {
                if (!item.isBlank()) {
                    items.add(item.trim());
                }
            }
            return items;
        }
        return ConfigFactory.parseString("v = " + trimmed).getList("v").unwrapped();
    }
}
