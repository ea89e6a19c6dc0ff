package org.carapace.api.ota;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An optional health check a bundle provides for over-the-air updates (whiteboard service).
 *
 * <p>After the OTA installer has updated a bundle and the bundle is active with its components satisfied, it calls
 * every {@code SelfTest} service registered <em>by that bundle</em>. A test that throws, or does not return within
 * the installer's health timeout, fails the update: the previous jars are put back automatically. A self-test should
 * exercise the bundle's real work on a small input (hash a tiny image, verify a known signature), not just report
 * that it is running. Called on the installer's thread, one test at a time.
 */
@ConsumerType
public interface SelfTest {

    /**
     * Checks that the bundle works.
     *
     * @throws Exception naming what does not work; its message is reported with the rollback
     */
    void selfTest() throws Exception;
}
