package org.carapace.secoc.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.crypto.SecretKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.carapace.api.secoc.Authenticator;
import org.carapace.api.secoc.KeyUnavailableException;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.MacSession;

/**
 * The software {@link Authenticator}: secret keys read from a PKCS#12 or BCFKS keystore, kept wrapped in
 * {@link SecretKeyMaterial}, never logged, wiped by {@link #destroy()}. Key ids are keystore aliases. Sessions it
 * opened are closed (their key schedules wiped) when it is destroyed, even if a caller forgot to.
 */
final class KeyRing implements Authenticator {

    /** Keystore types the software authenticator reads. */
    enum StoreType { PKCS12, BCFKS }

    private final Map<String, SecretKeyMaterial> keys;
    private final List<BcMacSession> sessions = new ArrayList<>();
    private boolean destroyed;

    KeyRing(Map<String, SecretKeyMaterial> keys) {
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    /**
     * Reads every secret-key entry of a keystore. Entries that are not secret keys (certificates, private keys) are
     * skipped.
     *
     * @throws KeyStoreException naming the file when it cannot be read, the password is wrong or it holds no secret
     *                           key
     */
    static KeyRing load(Path file, StoreType type, char[] password) throws KeyStoreException {
        KeyStore store;
        try {
            store = type == StoreType.BCFKS ? KeyStore.getInstance("BCFKS", new BouncyCastleProvider())
                : KeyStore.getInstance("PKCS12");
        } catch (GeneralSecurityException e) {
            throw new KeyStoreException(file, "keystore type " + type + " is not available: " + e.getMessage(), e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password);
        } catch (IOException | GeneralSecurityException e) {
            // the JDK reports a wrong PKCS#12 password as an IOException; never echo the password
            throw new KeyStoreException(file, "cannot read keystore " + file + " (" + type + "): " + e.getMessage(), e);
        }
        Map<String, SecretKeyMaterial> keys = new LinkedHashMap<>();
        try {
            Enumeration<String> aliases = store.aliases();
            List<String> sorted = new ArrayList<>(new TreeSet<>(Collections.list(aliases)));
            for (String alias : sorted) {
                if (!store.isKeyEntry(alias)) {
                    continue;
                }
                Key key = store.getKey(alias, password);
                if (!(key instanceof SecretKey)) {
                    continue;
                }
                byte[] encoded = key.getEncoded();
                if (encoded == null) {
                    throw new KeyStoreException(file, "key " + alias + " in " + file + " cannot be exported for the software "
                        + "authenticator (a hardware key? use an HSM-backed authenticator)", null);
                }
                try {
                    keys.put(alias, new SecretKeyMaterial(alias, encoded));
                } finally {
                    Arrays.fill(encoded, (byte) 0);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new KeyStoreException(file, "cannot read the keys of " + file + ": " + e.getMessage(), e);
        }
        if (keys.isEmpty()) {
            throw new KeyStoreException(file, "keystore " + file + " holds no secret key", null);
        }
        return new KeyRing(keys);
    }

    /** The ids of the keys held (never the keys). */
    Set<String> keyIds() {
        return keys.keySet();
    }

    @Override
    public Set<MacAlgorithm> algorithms() {
        return EnumSet.allOf(MacAlgorithm.class);
    }

    @Override
    public synchronized boolean hasKey(MacAlgorithm algorithm, String keyId) {
        SecretKeyMaterial key = keys.get(keyId);
        return !destroyed && key != null && key.length() >= algorithm.minKeyLength() && key.length() <= algorithm.maxKeyLength();
    }

    @Override
    public synchronized MacSession open(MacAlgorithm algorithm, String keyId) throws KeyUnavailableException {
        if (destroyed) {
            throw new KeyUnavailableException(keyId, "the software authenticator was stopped");
        }
        SecretKeyMaterial key = keys.get(keyId);
        if (key == null) {
            throw new KeyUnavailableException(keyId, "no key '" + keyId + "' in the keystore");
        }
        if (key.length() < algorithm.minKeyLength() || key.length() > algorithm.maxKeyLength()) {
            throw new KeyUnavailableException(keyId, "key '" + keyId + "' has " + key.length() + " bytes; " + algorithm
                + " needs " + algorithm.minKeyLength() + ".." + algorithm.maxKeyLength());
        }
        BcMacSession session = new BcMacSession(algorithm, key);
        sessions.removeIf(BcMacSession::isClosed);
        sessions.add(session);
        return session;
    }

    /** Closes every session and wipes every key. Idempotent. */
    synchronized void destroy() {
        destroyed = true;
        for (BcMacSession s : sessions) {
            s.close();
        }
        sessions.clear();
        for (SecretKeyMaterial key : keys.values()) {
            key.destroy();
        }
    }

    @Override
    public String toString() {
        return "KeyRing[" + keys.size() + " keys: " + String.join(", ", keys.keySet()) + "]";
    }

    /** A keystore could not be used. */
    static final class KeyStoreException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Path file;

        KeyStoreException(Path file, String message, Throwable cause) {
            super(message, cause);
            this.file = file;
        }

        Path file() {
            return file;
        }
    }
}
