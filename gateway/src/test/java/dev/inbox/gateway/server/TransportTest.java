package dev.inbox.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.inbox.gateway.config.ConfigException;
import io.netty.channel.uring.IoUring;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class TransportTest {
    private static final boolean LINUX_WITH_NATIVES =
            System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                    && (System.getProperty("os.arch").equals("amd64")
                            || System.getProperty("os.arch").equals("aarch64"));

    @Test
    void autoPicksIoUringWhereTheKernelAllowsItElseEpollOnLinuxBecauseTheJarCarriesBoth() throws ConfigException {
        Transport auto = Transport.of("auto");
        if (LINUX_WITH_NATIVES) {
            Transport expected = IoUring.isAvailable() ? Transport.IO_URING : Transport.EPOLL;
            assertEquals(expected, auto, "the native jars are dependencies: Linux must not fall back to NIO");
        } else {
            assertEquals(Transport.NIO, auto);
        }
        assertEquals(Transport.best(), auto);
    }

    @Test
    void nioCanAlwaysBeForced() throws ConfigException {
        assertEquals(Transport.NIO, Transport.of("nio"));
    }

    @Test
    void epollIsAvailableWhereTheNativesAreAndForcingItElsewhereIsAnError() throws ConfigException {
        if (LINUX_WITH_NATIVES) {
            assertEquals(Transport.EPOLL, Transport.of("epoll"));
        } else {
            ConfigException e = assertThrows(ConfigException.class, () -> Transport.of("epoll"));
            assertEquals(true, e.getMessage().startsWith("transport: epoll cannot run here"), e.getMessage());
        }
    }

    @Test
    void anUnknownTransportIsAConfigurationError() {
        ConfigException e = assertThrows(ConfigException.class, () -> Transport.of("kqueue"));
        assertEquals("transport: kqueue (expected: auto, io_uring, epoll or nio)", e.getMessage());
    }
}
