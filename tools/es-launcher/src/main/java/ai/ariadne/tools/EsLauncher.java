package ai.ariadne.tools;

import static org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner.newConfigs;

import java.util.concurrent.CountDownLatch;

import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;

/**
 * Runs a one-node Elasticsearch 7.10 cluster in-process with HTTP on 127.0.0.1.
 * Usage: EsLauncher DATA_DIR HTTP_PORT TRANSPORT_PORT
 * Prints "READY http://127.0.0.1:PORT" once the cluster is yellow and stops
 * cleanly on SIGTERM/SIGINT.
 */
public final class EsLauncher {
    private EsLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: EsLauncher DATA_DIR HTTP_PORT TRANSPORT_PORT");
            System.exit(2);
        }
        String home = args[0];
        int port = Integer.parseInt(args[1]);
        int transportPort = Integer.parseInt(args[2]);
        ElasticsearchClusterRunner runner = new ElasticsearchClusterRunner();
        runner.setMaxHttpPort(port);
        try {
            start(runner, home, port, transportPort);
        } catch (Throwable e) {
            System.out.println("FAILED " + e);
            e.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (Exception e) {
                System.err.println("closing Elasticsearch failed: " + e.getMessage());
            }
            stopped.countDown();
        }));
        System.out.println("READY http://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }

    private static void start(ElasticsearchClusterRunner runner, String home, int port, int transportPort) {
        runner.onBuild((number, settings) -> {
            settings.put("network.host", "127.0.0.1");
            settings.put("transport.port", String.valueOf(transportPort));
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            settings.put("action.auto_create_index", "true");
        }).build(newConfigs().basePath(home).numOfNode(1).baseHttpPort(port - 1).clusterName("ariadne-test").disableESLogger());
        runner.ensureYellow();
    }
}
