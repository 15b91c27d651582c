/**
 * JMH microbenchmarks of the hot path, each beside the baseline it must beat and run in the same JVM, so ratios
 * come from one run: {@link dev.inbox.benchmarks.FanoutBenchmark} (one event to N recipients through the real
 * router into real Netty channels, against per-recipient Jackson and Netty's {@code ChannelGroup}) and
 * {@link dev.inbox.benchmarks.CodecBenchmark} (client frame decode and event encode, against Jackson databind).
 * Every benchmark extends {@link dev.inbox.benchmarks.AbstractMicrobenchmark}. How to run them and what they showed
 * on the reference machine: {@code benchmarks/RESULTS.md}.
 */
package dev.inbox.benchmarks;
