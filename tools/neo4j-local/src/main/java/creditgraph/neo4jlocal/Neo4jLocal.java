package creditgraph.neo4jlocal;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * Runs Neo4j Community embedded with only the Bolt connector, bound to 127.0.0.1.
 *
 * <p>Machine-readable lines on stdout (the wrapper script and tests parse them):
 * <pre>
 *   NEO4J_VERSION 5.26.x
 *   NEO4J_EDITION community
 *   AUTH neo4j            (or AUTH none)
 *   READY_AFTER_MS N      time since JVM start
 *   BOLT bolt://127.0.0.1:PORT     printed only once the server accepts queries
 *   STOPPED               after a clean shutdown
 * </pre>
 */
public final class Neo4jLocal {
    private static final String HOST = "127.0.0.1";
    private static final String USER = "neo4j";
    private static final String DEFAULT_PASSWORD = "credit-graph-local";
    private static final String PASSWORD_ENV = "CREDIT_GRAPH_NEO4J_PASSWORD";

    private static final String USAGE = String.join("\n",
            "usage: java -jar neo4j-local.jar --home DIR [options]",
            "  --home DIR          Neo4j home; data/ and logs/ are created inside (required)",
            "  --port N            Bolt port on 127.0.0.1; 0 (default) lets the OS pick a free one",
            "  --uri-file FILE     write bolt://127.0.0.1:PORT to FILE once ready (atomic rename)",
            "  --password PW       password of user neo4j (default: $" + PASSWORD_ENV + ", else \""
                    + DEFAULT_PASSWORD + "\")",
            "  --no-auth           disable authentication instead",
            "  --pagecache SIZE    page cache size, e.g. 512m (default 512m)",
            "  --tx-memory SIZE    cap on memory used by all running transactions (default 70% of max heap)",
            "  --config FILE       extra settings in neo4j.conf syntax, applied after the defaults above",
            "  --exit-when-ready   shut down cleanly right after start-up (smoke test, class-data-sharing warm-up)");

    private Neo4jLocal() {
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ERROR " + e.getMessage());
            System.err.println(USAGE);
            System.exit(64);
            return;
        }
        PrintStream out = System.out;
        try {
            run(options, out);
        } catch (Throwable t) {
            out.println("ERROR " + describe(t));
            out.flush();
            t.printStackTrace();
            // halt: a failed start may have left Neo4j threads that would keep the JVM alive.
            Runtime.getRuntime().halt(1);
        }
    }

    private static void run(Options options, PrintStream out) throws Exception {
        Files.createDirectories(options.home);
        if (options.uriFile != null) {
            // A stale file from an earlier run must not be mistaken for readiness.
            Files.deleteIfExists(options.uriFile);
        }

        long maxHeap = Runtime.getRuntime().maxMemory();
        long txMemory = options.txMemory >= 0 ? options.txMemory : maxHeap / 10 * 7;

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(options.home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, options.port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, options.port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(HOST))
                .setConfig(GraphDatabaseSettings.default_advertised_address, new SocketAddress(HOST))
                .setConfig(GraphDatabaseSettings.auth_enabled, options.auth)
                // The usage reporter would phone home; this server must only talk to localhost.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Page cache lives off-heap: a fixed size keeps the process footprint predictable
                // next to the Python test process (heap is fixed by -Xms/-Xmx on the command line).
                .setConfig(GraphDatabaseSettings.pagecache_memory, options.pagecache)
                // One runaway load must fail with a memory error rather than an OutOfMemoryError
                // that takes the whole server down.
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txMemory)
                // Throwaway stores: small, non-preallocated transaction logs keep many temporary
                // data folders cheap on disk while still allowing crash recovery.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(64))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "128M size")
                // SIGTERM must not hang on a transaction a test left open: it is terminated
                // after this grace period and the store is still shut down cleanly.
                .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(10))
                // Bolt otherwise spends about 10 s of a stop in two fixed grace periods, even with
                // no client connected; tests stop and restart the server often. These are internal
                // settings of the pinned Neo4j version, checked at compile time.
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0);
        if (options.configFile != null) {
            builder.loadPropertiesFromFile(options.configFile);
        }

        DatabaseManagementService service = builder.build();
        installShutdownHook(service, out);

        GraphDatabaseService system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        GraphDatabaseService neo4j = service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!neo4j.isAvailable(Duration.ofMinutes(3).toMillis())) {
            throw new IllegalStateException("database 'neo4j' did not become available");
        }

        // The system database accepts only bare procedure calls, so this is asked of 'neo4j'.
        String[] versionAndEdition = neo4j.executeTransactionally(
                "CALL dbms.components() YIELD name, versions, edition "
                        + "WHERE name = 'Neo4j Kernel' RETURN versions[0] AS version, edition",
                Map.of(),
                result -> {
                    Map<String, Object> row = result.next();
                    return new String[] {String.valueOf(row.get("version")), String.valueOf(row.get("edition"))};
                });
        out.println("NEO4J_VERSION " + versionAndEdition[0]);
        out.println("NEO4J_EDITION " + versionAndEdition[1]);

        if (options.auth) {
            setPassword(system, options.password);
            out.println("AUTH " + USER);
        } else {
            out.println("AUTH none");
        }

        int port = boundBoltPort(system, options.port);
        String uri = "bolt://" + HOST + ":" + port;
        if (options.uriFile != null) {
            writeAtomically(options.uriFile, uri + "\n");
        }
        out.println("READY_AFTER_MS " + ManagementFactory.getRuntimeMXBean().getUptime());
        out.println("BOLT " + uri);
        out.flush();

        if (options.exitWhenReady) {
            System.exit(0);
        }
        new CountDownLatch(1).await();
    }

    /**
     * Embedded transactions run with full privileges, so the built-in user's password can be set
     * directly; this also clears the "change required" flag a fresh store starts with.
     */
    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                    "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (QueryExecutionException e) {
            // A kept store restarted with the same password: Neo4j refuses a no-op password change.
            String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (!message.contains("cannot be the same")) {
                throw e;
            }
        }
    }

    /** With port 0 the OS picks the port, so the bound one is read back from Neo4j. */
    private static int boundBoltPort(GraphDatabaseService db, int requested) {
        ConnectorPortRegister ports = ((GraphDatabaseAPI) db)
                .getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class);
        HostnamePort bound = ports.getLocalAddress(ConnectorType.BOLT);
        if (bound == null) {
            if (requested > 0) {
                return requested;
            }
            throw new IllegalStateException("Bolt connector did not register a port");
        }
        return bound.getPort();
    }

    private static void installShutdownHook(DatabaseManagementService service, PrintStream out) {
        AtomicBoolean done = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (done.compareAndSet(false, true)) {
                // A clean shutdown checkpoints the store, so the next start needs no recovery.
                service.shutdown();
                out.println("STOPPED");
                out.flush();
            }
        }, "neo4j-local-shutdown"));
    }

    private static void writeAtomically(Path target, String content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(String.valueOf(t));
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(" <- ").append(c);
        }
        return sb.toString().replace('\n', ' ');
    }

    private static final class Options {
        Path home;
        int port;
        Path uriFile;
        boolean auth = true;
        String password;
        long pagecache = ByteUnit.mebiBytes(512);
        long txMemory = -1;
        Path configFile;
        boolean exitWhenReady;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--home" -> o.home = Path.of(value(args, ++i, a)).toAbsolutePath();
                    case "--port" -> o.port = parsePort(value(args, ++i, a));
                    case "--uri-file" -> o.uriFile = Path.of(value(args, ++i, a));
                    case "--password" -> o.password = value(args, ++i, a);
                    case "--no-auth" -> o.auth = false;
                    case "--pagecache" -> o.pagecache = ByteUnit.parse(value(args, ++i, a));
                    case "--tx-memory" -> o.txMemory = ByteUnit.parse(value(args, ++i, a));
                    case "--config" -> o.configFile = Path.of(value(args, ++i, a)).toAbsolutePath();
                    case "--exit-when-ready" -> o.exitWhenReady = true;
                    case "-h", "--help" -> {
                        System.out.println(USAGE);
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown argument: " + a);
                }
            }
            if (o.home == null) {
                throw new IllegalArgumentException("--home is required");
            }
            if (o.password == null) {
                String env = System.getenv(PASSWORD_ENV);
                o.password = env == null || env.isEmpty() ? DEFAULT_PASSWORD : env;
            }
            return o;
        }

        private static String value(String[] args, int i, String name) {
            if (i >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            return args[i];
        }

        private static int parsePort(String s) {
            int p;
            try {
                p = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port: " + s);
            }
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("bad port: " + s);
            }
            return p;
        }
    }
}
