/**
 * Durable files and strict, schema-checked JSON ({@link org.carapace.api.io.Fields}) for every bundle that keeps
 * security state or reads untrusted documents: the policy store, the trust store and the OTA installer share these
 * instead of each writing their own.
 *
 * <p>{@link org.carapace.api.io.AtomicFiles} replaces a file so that a reader, also after a crash or power cut, sees
 * the old content or the new, never a mix (temporary file, {@code fsync}, {@code rename}, {@code fsync} of the
 * directory). {@link org.carapace.api.io.StrictJson} parses untrusted JSON so that two readers can never disagree
 * about what it says (UTF-8 only, duplicate keys refused, nothing after the document, bounded size and nesting).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.carapace.api.io;
