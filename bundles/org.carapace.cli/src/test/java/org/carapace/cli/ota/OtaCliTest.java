package org.carapace.cli.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.carapace.cli.CliTestBase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code carapace ota package | sign | inspect} as a release pipeline runs them: files in, files out, exit codes. */
class OtaCliTest extends CliTestBase {

    static byte[] bundle(String bsn, String version) throws Exception {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", bsn + ";singleton:=false");
        main.putValue("Bundle-Version", version);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.putNextEntry(new ZipEntry("x.txt"));
            jar.write(version.getBytes());
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }

    @BeforeAll
    static void keysRootAndJar() throws Exception {
        for (String key : new String[] {"root", "base", "ota1", "ota2"}) {
            assertEquals(0, run("keys", "generate", "-o", f(key + ".pem")), err.toString());
        }
        assertEquals(0, run("trust", "init", "--key", "root=" + f("root.pub.pem"), "--key", "base-policy=" + f("base.pub.pem"),
            "--key", "additional-policy=" + f("base.pub.pem"), "--key", "ota=" + f("ota1.pub.pem"), "--key", "ota=" + f("ota2.pub.pem"),
            "--threshold", "ota=2", "--sign", f("root.pem"), "-o", f("root.json")), err.toString());
        Files.write(dir.resolve("imagehash.jar"), bundle("org.carapace.imagehash", "0.2.1"));
    }

    @Test
    void packageSignInspect() throws Exception {
        assertEquals(0, run("ota", "package", "--name", "imagehash-0.2.1", "--jar", f("imagehash.jar"), "--counter", "3",
            "--expires", "+30d", "--device", "car-1", "--hardware", "hu-x86", "-o", f("p.ota"), "--json"), err.toString());
        assertEquals("org.carapace.imagehash", json().get("bundles").get(0).get("symbolicName").textValue());
        assertEquals(3, json().get("bundles").get(0).get("releaseCounter").intValue());

        // unsigned: hashes fine, verification refused
        assertEquals(0, run("ota", "inspect", f("p.ota")), err.toString());
        assertTrue(out.toString().contains("NOT verified"), out.toString());
        assertEquals(1, run("ota", "inspect", f("p.ota"), "--root", f("root.json"), "--json"));
        assertTrue(json().get("problems").get(0).textValue().startsWith("SIGNATURE: "), out.toString());

        // one of two signers
        assertEquals(0, run("ota", "sign", f("p.ota"), "--key", f("ota1.pem"), "-o", f("p1.ota")), err.toString());
        assertEquals(1, run("ota", "inspect", f("p1.ota"), "--root", f("root.json"), "--json"));
        assertTrue(json().get("problems").get(0).textValue().contains("THRESHOLD_NOT_MET"), out.toString());
        assertEquals(2, run("ota", "sign", f("p1.ota"), "--key", f("ota1.pem"), "-o", f("again.ota")), "the same key twice");

        // the second signer, in a later step
        assertEquals(0, run("ota", "sign", f("p1.ota"), "--key", f("ota2.pem"), "-o", f("p2.ota")), err.toString());
        assertEquals(0, run("ota", "inspect", f("p2.ota"), "--root", f("root.json"), "--device", "car-1", "--hardware", "hu-x86",
            "--json"), out.toString());
        assertTrue(json().get("verified").booleanValue());
        assertEquals(2, json().get("signers").size());

        assertEquals(1, run("ota", "inspect", f("p2.ota"), "--root", f("root.json"), "--device", "car-2"));
        assertTrue(out.toString().contains("WRONG_DEVICE"), out.toString());
        assertEquals(1, run("ota", "inspect", f("p2.ota"), "--root", f("root.json"), "--hardware", "hu-arm"));
        assertTrue(out.toString().contains("WRONG_HARDWARE"), out.toString());
        assertEquals(1, run("ota", "inspect", f("p2.ota"), "--root", f("root.json"), "--at", "+60d"));
        assertTrue(out.toString().contains("EXPIRED"), out.toString());

        // signed by the wrong role
        assertEquals(0, run("ota", "sign", f("p.ota"), "--key", f("base.pem"), "--key", f("root.pem"), "-o", f("wrong.ota")));
        assertEquals(1, run("ota", "inspect", f("wrong.ota"), "--root", f("root.json")));
        assertTrue(out.toString().contains("UNKNOWN_KEY"), out.toString());
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        assertEquals(0, run("ota", "--help"));
        assertTrue(out.toString().contains("package"), out.toString());
        assertEquals(2, run("ota"));
        assertEquals(2, run("ota", "inspect", f("missing.ota")));
        Files.writeString(dir.resolve("junk.ota"), "junk");
        assertEquals(2, run("ota", "inspect", f("junk.ota")));
        assertEquals(2, run("ota", "package", "--name", "x", "--jar", f("root.json"),
            "--counter", "1", "--expires", "+1d", "-o", f("x.ota")));
        assertEquals(2, run("ota", "status", "--run-dir", f("no-runtime")));
    }
}
