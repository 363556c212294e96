package io.gitward.security.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.BadValue;
import com.typesafe.config.ConfigException.WrongType;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A node's configuration: the HOCON file, then {@code GITWARD_*} environment overrides, over the
 * defaults of every {@code reference.conf} on the classpath. Unknown keys are problems. Typed getters
 * record problems instead of throwing, so {@link #problems()} lists everything wrong at once; callers
 * read all they need, then call {@link ConfigProblems#throwIfAny}.
 */
public final class GitwardConfig {
    private final Config config;
    private final Path baseDirectory;
    private final String source;
    private final ConfigProblems problems;
    private final java.util.Set<String> explicitKeys;

    private GitwardConfig(Config config, Path baseDirectory, String source, ConfigProblems problems,
            java.util.Set<String> explicitKeys) {
        this.config = config;
        this.explicitKeys = java.util.Set.copyOf(explicitKeys);
        this.baseDirectory = baseDirectory;
        this.source = source;
        this.problems = problems;
    }

    /** Loads {@code file}; syntax errors and unknown keys are collected as problems, not thrown. */
    public static GitwardConfig load(Path file, Map<String, String> environment) throws ConfigException {
        Path absolute = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(absolute)) {
            throw new ConfigException(absolute.toString(), List.of("--config: no such file (expected a HOCON file;"
                    + " see docs/contracts.md for the keys)"));
        }
        if (!Files.isReadable(absolute)) {
            throw new ConfigException(absolute.toString(), List.of("--config: not readable by this user"));
        }
        Config fileConfig;
        try {
            fileConfig = ConfigFactory.parseFile(absolute.toFile(),
                    ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(absolute.toString(), List.of("syntax: " + e.getMessage()));
        }
        return fromParsed(fileConfig, absolute.getParent(), absolute.toString(), environment);
    }

    /** Builds a config from HOCON text (tests, generated configs); relative paths resolve against {@code baseDirectory}. */
    public static GitwardConfig parse(String hocon, Path baseDirectory, Map<String, String> environment)
            throws ConfigException {
        Config parsed;
        try {
            parsed = ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription("config"));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("config", List.of("syntax: " + e.getMessage()));
        }
        return fromParsed(parsed, baseDirectory, "config", environment);
    }

    private static GitwardConfig fromParsed(Config fileConfig, Path baseDirectory, String source,
            Map<String, String> environment) throws ConfigException {
        Config reference = reference();
        Map<String, ConfigValue> knownKeys = leaves(reference.root(), "");
        ConfigProblems problems = new ConfigProblems();
        for (Map.Entry<String, ConfigValue> entry : leaves(fileConfig.root(), "").entrySet()) {
            if (!knownKeys.containsKey(entry.getKey()) && !isUnderKnownLeaf(entry.getKey(), knownKeys)) {
                problems.add(entry.getKey(), "unknown key" + suggestion(entry.getKey(), knownKeys) + " at "
                        + where(entry.getValue().origin()));
            }
        }
        Config overrides = EnvironmentOverrides.from(environment, knownKeys, problems);
        Config merged;
        try {
            merged = overrides.withFallback(fileConfig).withFallback(reference).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(source, List.of("substitution: " + e.getMessage()));
        }
        java.util.Set<String> explicit = new java.util.TreeSet<>(leaves(fileConfig.root(), "").keySet());
        explicit.addAll(leaves(overrides.root(), "").keySet());
        return new GitwardConfig(merged, baseDirectory, source, problems, explicit);
    }

    /**
     * Every {@code reference.conf} on the classpath, merged: the defaults and the set of known keys.
     * Not {@code ConfigFactory.defaultReference()}, which mixes in JVM system properties.
     */
    static Config reference() {
        return ConfigFactory.parseResources(GitwardConfig.class.getClassLoader(), "reference.conf").resolve();
    }

    /** Every leaf path (nulls and lists included) below {@code object}. */
    static Map<String, ConfigValue> leaves(ConfigObject object, String prefix) {
        Map<String, ConfigValue> result = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
            String key = prefix.isEmpty() ? quoteIfNeeded(entry.getKey()) : prefix + "." + quoteIfNeeded(entry.getKey());
            if (entry.getValue().valueType() == ConfigValueType.OBJECT) {
                ConfigObject child = (ConfigObject) entry.getValue();
                if (child.isEmpty()) {
                    result.put(key, entry.getValue());
                } else {
                    result.putAll(leaves(child, key));
                }
            } else {
                result.put(key, entry.getValue());
            }
        }
        return result;
    }

    private static String quoteIfNeeded(String segment) {
        return segment.matches("[A-Za-z0-9_-]+") ? segment : "\"" + segment + "\"";
    }

    /** A key below a reference leaf that is an empty object ({@code {}}): a free-form map such as labels. */
    private static boolean isUnderKnownLeaf(String key, Map<String, ConfigValue> knownKeys) {
        for (Map.Entry<String, ConfigValue> known : knownKeys.entrySet()) {
            if (known.getValue().valueType() == ConfigValueType.OBJECT && key.startsWith(known.getKey() + ".")) {
                return true;
            }
        }
        return false;
    }

    private static String suggestion(String key, Map<String, ConfigValue> knownKeys) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : knownKeys.keySet()) {
            int distance = editDistance(key, known);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = known;
            }
        }
        return best != null && bestDistance <= 3 ? " (did you mean " + best + "?)" : "";
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    public ConfigProblems problems() {
        return problems;
    }

    public String source() {
        return source;
    }

    public Path baseDirectory() {
        return baseDirectory;
    }

    /** Where the effective value of {@code key} came from: "default", "file PATH:LINE" or "environment VAR". */
    public String sourceOf(String key) {
        if (!config.hasPathOrNull(key)) {
            return "default";
        }
        ConfigOrigin origin = config.getValue(key).origin();
        return where(origin);
    }

    private static String where(ConfigOrigin origin) {
        String description = origin.description();
        if (description.startsWith("environment ")) {
            return description;
        }
        if (origin.resource() != null && origin.resource().endsWith("reference.conf")) {
            return "default";
        }
        if (origin.filename() != null) {
            return "file " + origin.filename() + (origin.lineNumber() > 0 ? ":" + origin.lineNumber() : "");
        }
        if (description.startsWith("reference.conf") || description.contains("reference.conf")) {
            return "default";
        }
        return description;
    }

    /** Keys set by the file or the environment (not defaults), for checks such as "a section of another node kind". */
    public java.util.Set<String> explicitKeys() {
        return explicitKeys;
    }

    public boolean isSet(String key) {
        return config.hasPath(key);
    }

    /** A string, or null when the key is null. */
    public String string(String key) {
        if (!config.hasPath(key)) {
            return null;
        }
        try {
            return config.getString(key);
        } catch (WrongType e) {
            problems.add(key, "expected a string");
            return null;
        }
    }

    public String requiredString(String key, String expected) {
        String value = string(key);
        if (value == null || value.isBlank()) {
            problems.add(key, "missing (expected: " + expected + ")");
            return null;
        }
        return value;
    }

    public int integer(String key, int min, int max) {
        try {
            long value = config.getLong(key);
            if (value < min || value > max) {
                problems.add(key, value + " (expected: " + min + ".." + max + ")");
                return min;
            }
            return (int) value;
        } catch (WrongType | com.typesafe.config.ConfigException.Missing e) {
            problems.add(key, describe(key) + " (expected: a whole number " + min + ".." + max + ")");
            return min;
        }
    }

    public boolean bool(String key) {
        return bool(key, false);
    }

    /** A boolean; on a bad value the problem is recorded and {@code fallback} returned, so no follow-up problem appears. */
    public boolean bool(String key, boolean fallback) {
        try {
            return config.getBoolean(key);
        } catch (WrongType | com.typesafe.config.ConfigException.Missing e) {
            problems.add(key, describe(key) + " (expected: true or false)");
            return fallback;
        }
    }

    /** A size such as {@code 100 MiB} or {@code 1g}, within min..max bytes. */
    public long bytes(String key, long min, long max) {
        try {
            long value = config.getBytes(key);
            if (value < min || value > max) {
                problems.add(key, describe(key) + " (expected: " + min + ".." + max + " bytes)");
                return min;
            }
            return value;
        } catch (WrongType | BadValue | com.typesafe.config.ConfigException.Missing e) {
            problems.add(key, describe(key) + " (expected: a size such as 512k, 100 MiB, 1g)");
            return min;
        }
    }

    /** A positive duration such as {@code 10s}. */
    public Duration duration(String key) {
        try {
            Duration value = config.getDuration(key);
            if (value.isNegative() || value.isZero()) {
                problems.add(key, describe(key) + " (expected: a positive duration such as 10s)");
                return Duration.ofSeconds(1);
            }
            return value;
        } catch (WrongType | BadValue | com.typesafe.config.ConfigException.Missing e) {
            problems.add(key, describe(key) + " (expected: a duration such as 10s, 5m, 24h)");
            return Duration.ofSeconds(1);
        }
    }

    /** A path resolved against the config file's directory, or null when the key is null/empty. */
    public Path path(String key) {
        String value = string(key);
        if (value == null || value.isEmpty()) {
            return null;
        }
        return baseDirectory.resolve(value).normalize();
    }

    public List<String> stringList(String key) {
        try {
            return config.hasPath(key) ? config.getStringList(key) : List.of();
        } catch (WrongType e) {
            problems.add(key, "expected a list of strings such as [\"a\", \"b\"]");
            return List.of();
        }
    }

    public List<Path> pathList(String key) {
        List<Path> paths = new ArrayList<>();
        for (String value : stringList(key)) {
            paths.add(baseDirectory.resolve(value).normalize());
        }
        return paths;
    }

    /** A lower-case, dash-separated enum value ({@code boringssl}, {@code primary-wins}). */
    public <E extends Enum<E>> E enumValue(String key, Class<E> type, E fallback) {
        String value = string(key);
        if (value == null) {
            return fallback;
        }
        for (E constant : type.getEnumConstants()) {
            if (wireName(constant).equals(value)) {
                return constant;
            }
        }
        List<String> names = new ArrayList<>();
        for (E constant : type.getEnumConstants()) {
            names.add(wireName(constant));
        }
        problems.add(key, "'" + value + "' (expected one of: " + String.join(", ", names) + ")");
        return fallback;
    }

    public static String wireName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public Optional<Config> section(String key) {
        return config.hasPath(key) ? Optional.of(config.getConfig(key)) : Optional.empty();
    }

    public Config raw() {
        return config;
    }

    private String describe(String key) {
        if (!config.hasPathOrNull(key)) {
            return "missing";
        }
        ConfigValue value = config.getValue(key);
        return "'" + value.unwrapped() + "'";
    }

    /** Every key known to the reference configuration, with its env variable; pinned by docs/contracts.md. */
    public static Map<String, String> knownKeysWithVariables() {
        Map<String, String> result = new TreeMap<>();
        for (String key : leaves(reference().root(), "").keySet()) {
            result.put(key, EnvironmentOverrides.variableFor(key));
        }
        return result;
    }
}
