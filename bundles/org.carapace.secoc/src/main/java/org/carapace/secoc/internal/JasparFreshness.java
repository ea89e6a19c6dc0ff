package org.carapace.secoc.internal;

import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.FreshnessUnavailableException;
import org.carapace.api.secoc.VerificationResult;

/**
 * JASPAR freshness of one data channel (SecOC profile 3): {@code trip | reset | message counter | reset flag}
 * with the trip and reset counters of a {@link JasparDomain}.
 *
 * <p>Sender: the message counter restarts at 0 with each new trip/reset pair and counts up per PDU; at its maximum
 * it is held, and since a value is never reused the channel then cannot send until the next reset cycle.
 *
 * <p>Receiver, from the transmitted bits (the low message-counter bits and the reset flag):
 * <ol>
 *   <li>the reset flag selects the reset cycle: the domain's current one if the flags match, else the next one if
 *       its flag matches (the sender saw a synchronisation this receiver missed), else none: freshness failure;</li>
 *   <li>within the cycle of the last accepted value the message counter is rebuilt like a counter (received LSBs
 *       greater than the last: same MSBs, else MSBs + 1; later attempts add 2^bits); in a new cycle the received
 *       bits are the counter (it restarted);</li>
 *   <li>the candidate must be greater than the last accepted value.</li>
 * </ol>
 * Both sides persist the whole 64-bit value through a {@link Reservation}.
 */
final class JasparFreshness implements FreshnessManager {

    private final JasparDomain domain;
    private final JasparLayout layout;
    private final Reservation tx;
    private final Reservation rx;
    private long txTripReset;
    private long message;
    private long lastUsed;
    private long last;

    JasparFreshness(JasparDomain domain, Reservation tx, Reservation rx) {
        this.domain = domain;
        this.layout = domain.layout();
        this.tx = tx;
        this.rx = rx;
        this.lastUsed = tx.restored() == 0 ? 0 : tx.restored() - 1;
        this.last = rx.restored() == 0 ? 0 : rx.restored() - 1;
    }

    @Override
    public int length() {
        return layout.length();
    }

    @Override
    public long nextTxFreshness() throws FreshnessUnavailableException {
        long tripReset = domain.tripReset();
        if (tripReset == 0) {
            throw new FreshnessUnavailableException("JASPAR domain " + domain.name() + " has no trip/reset counters yet "
                + "(no synchronisation message received)");
        }
        if (tripReset != txTripReset) {
            txTripReset = tripReset;
            message = 0;
        }
        long value = layout.compose(tripReset, message);
        if (Long.compareUnsigned(value, lastUsed) <= 0) {
            if (layout.tripResetOfValue(lastUsed) != tripReset) {
                throw new FreshnessUnavailableException("JASPAR domain " + domain.name() + " is behind the values this channel "
                    + "already used (trip/reset went backwards)");
            }
            message = layout.messageOfValue(lastUsed) + 1;
            value = layout.compose(tripReset, message);
        }
        if (message > layout.messageMax()) {
            throw new FreshnessUnavailableException("JASPAR message counter is held at its maximum until the next reset cycle");
        }
        if (!tx.cover(value)) {
            throw new FreshnessUnavailableException("cannot reserve freshness values durably in " + tx.file().path());
        }
        lastUsed = value;
        message++;
        return value;
    }

    @Override
    public VerificationResult rxCandidate(long truncated, int truncatedLength, int attempt, long[] candidate) {
        long current = domain.tripReset();
        if (current == 0) {
            return VerificationResult.FRESHNESS_FAILURE; // freshness not available: never synchronised
        }
        int flagBits = layout.flag();
        if (truncatedLength < flagBits) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        long flag = truncated & layout.flagMask();
        long tripReset;
        if ((layout.resetOf(current) & layout.flagMask()) == flag) {
            tripReset = current;
        } else if (layout.resetOf(current) < layout.resetMax()
            && ((layout.resetOf(current) + 1) & layout.flagMask()) == flag) {
            tripReset = current + 1;
        } else {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        int messageBits = truncatedLength - flagBits;
        long received = truncated >>> flagBits;
        long messageCounter;
        if (messageBits >= layout.message()) {
            if (attempt > 0) {
                return VerificationResult.FRESHNESS_FAILURE;
            }
            messageCounter = received;
        } else {
            long step = 1L << messageBits;
            long mask = step - 1;
            if (layout.tripResetOfValue(last) == tripReset && last != 0) {
                long lastMessage = layout.messageOfValue(last);
                messageCounter = received > (lastMessage & mask) ? (lastMessage & ~mask) | received
                    : ((lastMessage >>> messageBits) + 1 << messageBits) | received;
            } else {
                messageCounter = received; // a new reset cycle: the message counter restarted
            }
            messageCounter += attempt * step;
        }
        if (messageCounter > layout.messageMax() || messageCounter < 0) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        long value = layout.compose(tripReset, messageCounter);
        if (Long.compareUnsigned(value, last) <= 0) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        candidate[0] = value;
        return VerificationResult.SUCCESS;
    }

    @Override
    public VerificationResult rxAccept(long freshness) {
        if (Long.compareUnsigned(freshness, last) <= 0 || !rx.cover(freshness)) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        last = freshness;
        domain.observe(layout.tripResetOfValue(freshness));
        return VerificationResult.SUCCESS;
    }

    @Override
    public long lastAccepted() {
        return last;
    }
}
