// Run by `pulsar-standalone start` before the broker, while no broker is running:
//   java -cp "<runtime lib>/*" PurgeStaleEphemerals.java rocksdb:///<data>/metadata
//
// Why: the standalone keeps its metadata in RocksDB. Ephemeral nodes (bookie and
// broker registrations, ownership locks) written by a JVM that did not shut down
// cleanly (kill -9, OOM, CI timeout) stay in the database. The next broker drops
// them lazily, and if the drop of the old bookie registration
// (/ledgers/available/127.0.0.1:<port>) is noticed after the new bookie has
// registered, the bookie's lock re-validation never converges (its registration
// value has no equals()), so the registration is deleted and re-created in a tight
// loop: the broker then fails with "Not enough non-faulty bookies" / "Cannot
// resolve bookieId" and burns CPU. Removing stale ephemerals up front avoids it.
//
// How: a RocksDB metadata store deletes every ephemeral node owned by an earlier
// store instance when a listing walks over it; listing "/" walks over every key.

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.metadata.api.MetadataStoreConfig;
import org.apache.pulsar.metadata.api.extended.MetadataStoreExtended;

public class PurgeStaleEphemerals {
    public static void main(String[] args) throws Exception {
        if (args.length != 1 || !args[0].startsWith("rocksdb://")) {
            System.err.println("usage: PurgeStaleEphemerals rocksdb:///path/to/metadata");
            System.exit(2);
        }
        MetadataStoreConfig config = MetadataStoreConfig.builder()
                .metadataStoreName("metadata-store")
                .build();
        try (MetadataStoreExtended store = MetadataStoreExtended.create(args[0], config)) {
            List<String> roots = store.getChildren("/").get(60, TimeUnit.SECONDS);
            List<String> bookies = store.getChildren("/ledgers/available").get(60, TimeUnit.SECONDS);
            System.out.println("metadata purged of stale ephemeral nodes; roots=" + roots
                    + " registered bookies=" + bookies);
        }
        // RocksDB and metadata threads are not all daemons.
        System.exit(0);
    }
}
