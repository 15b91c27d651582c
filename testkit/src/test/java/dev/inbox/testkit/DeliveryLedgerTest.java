package dev.inbox.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DeliveryLedgerTest {

    @Test
    void aLossAndADuplicateAreReportedAsSuch() {
        // Sender slot 0 sent 1..5, nothing refused; this connection got 1, 2, 4, 4, 5: 3 lost, 4 twice.
        DeliveryLedger ledger = new DeliveryLedger(1);
        DeliveryCounts counts = new DeliveryCounts();
        for (long seq : new long[] {1, 2, 4, 4, 5}) {
            counts.count(ledger, 0, seq);
        }
        long expected = 5;
        assertEquals(5, counts.received);
        assertEquals(4, counts.unique);
        assertEquals(1, counts.duplicated);
        assertEquals(1, counts.gapSeqs);
        assertEquals(1, counts.lost(expected));
        assertEquals(0, counts.surplus(expected));
    }

    @Test
    void aLossAfterTheLastDeliveryLeavesNoGapButIsStillLost() {
        DeliveryLedger ledger = new DeliveryLedger(1);
        DeliveryCounts counts = new DeliveryCounts();
        counts.count(ledger, 0, 1);
        counts.count(ledger, 0, 2);
        assertEquals(0, counts.gapSeqs);
        assertEquals(1, counts.lost(3), "message 3 never came");
    }

    @Test
    void aRefusedMessageIsAGapButNotALoss() {
        // 1..4 sent, 3 refused: expected counts only 3 messages.
        DeliveryLedger ledger = new DeliveryLedger(1);
        DeliveryCounts counts = new DeliveryCounts();
        for (long seq : new long[] {1, 2, 4}) {
            counts.count(ledger, 0, seq);
        }
        assertEquals(1, counts.gapSeqs);
        assertEquals(0, counts.lost(4 - 1));
    }

    @Test
    void sendersAreTrackedApart() {
        DeliveryLedger ledger = new DeliveryLedger(3);
        DeliveryCounts counts = new DeliveryCounts();
        counts.count(ledger, 0, 1);
        counts.count(ledger, 2, 1);
        counts.count(ledger, 1, 1);
        counts.count(ledger, 2, 2);
        counts.count(ledger, 0, 2);
        assertEquals(5, counts.unique);
        assertEquals(0, counts.duplicated);
        assertEquals(0, counts.gapSeqs);
    }

    @Test
    void anOutOfOrderDeliveryCountsAsADuplicateAndItsOvertakenMessageAsLost() {
        DeliveryLedger ledger = new DeliveryLedger(1);
        DeliveryCounts counts = new DeliveryCounts();
        counts.count(ledger, 0, 1);
        counts.count(ledger, 0, 3);
        counts.count(ledger, 0, 2);
        assertEquals(1, counts.duplicated);
        assertEquals(1, counts.lost(3));
    }

    @Test
    void aSlotOutsideTheConversationIsMisrouted() {
        DeliveryLedger ledger = new DeliveryLedger(2);
        DeliveryCounts counts = new DeliveryCounts();
        counts.count(ledger, 2, 1);
        counts.count(ledger, -1, 1);
        counts.count(ledger, 0, 0);
        assertEquals(3, counts.misrouted);
        assertEquals(0, counts.unique);
        assertEquals(3, counts.received);
    }

    @Test
    void deliveriesBeyondWhatWasExpectedAreASurplus() {
        DeliveryLedger ledger = new DeliveryLedger(1);
        DeliveryCounts counts = new DeliveryCounts();
        counts.count(ledger, 0, 1);
        counts.count(ledger, 0, 2);
        assertEquals(1, counts.surplus(1), "message 2 was refused, yet delivered");
        assertEquals(0, counts.lost(1));
    }
}
