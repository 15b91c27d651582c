/**
 * The end-to-end load generator ({@link dev.inbox.benchmarks.loadgen.LoadGenerator}): real WebSocket connections
 * to one or more gateway nodes on few Netty event loops, open-model sending with latency measured from each
 * message's intended send time, exact per-connection loss and duplicate accounting
 * ({@link dev.inbox.testkit.DeliveryLedger}), and a memory-per-connection mode that reads the node
 * after full GCs. Flags are listed in {@link dev.inbox.benchmarks.loadgen.Flag}; benchmarks/README.md ("Load
 * generator") shows the runs.
 */
package dev.inbox.benchmarks.loadgen;
