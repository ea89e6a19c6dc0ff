package org.carapace.imagehash.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.image.Digest;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileType;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageLimitException;
import org.carapace.api.image.ImagePaths;
import org.carapace.api.image.UnsafeEntryException;
import org.carapace.api.image.UnsafeEntryException.Reason;
import org.carapace.api.image.Xattr;

/**
 * The file system an image unpacks to, built in memory by applying its layers in order (image-spec layer.md,
 * "Applying Changesets", "Whiteouts"), with the semantics of {@code umoci unpack} so that the digest of the tree
 * equals the digest of the directory umoci writes:
 * <ul>
 *   <li>an entry replaces what was at its path, except that a directory entry over a directory only changes the
 *       directory's metadata and keeps its children;</li>
 *   <li>a regular-file, symlink, device or FIFO entry creates a new inode; a hard-link entry makes its path share
 *       the <em>current</em> inode of the target path; hard links carry no metadata of their own;</li>
 *   <li>parents without an entry of their own are created as directories 0755, uid 0, gid 0;</li>
 *   <li>whiteouts ({@code .wh.NAME}) and opaque markers ({@code .wh..wh..opq}) remove what lower layers put there
 *       and never what this layer created (or what is an ancestor of something this layer created), wherever in
 *       the layer the marker appears; a whiteout of a missing path does nothing; other {@code .wh..wh.} names
 *       (AUFS bookkeeping) are ignored;</li>
 *   <li>unsafe entries are refused with {@link UnsafeEntryException}: absolute names, {@code ..}, parents that are
 *       not directories (writing through a symbolic link), hard links to missing, outside or directory targets,
 *       a path twice in one layer, a root entry that is not a directory.</li>
 * </ul>
 */
final class RootfsTree {

    static final int IMPLIED_DIRECTORY_MODE = 0755;

    /** The metadata and content of one inode; hard-linked paths share one instance. */
    static final class Inode {
        final FileType type;
        int mode;
        long uid;
        long gid;
        final long size;
        final Digest content;
        final String target;
        final long major;
        final long minor;
        List<Xattr> xattrs;

        Inode(FileType type, int mode, long uid, long gid, long size, Digest content, String target, long major,
              long minor, List<Xattr> xattrs) {
            this.type = type;
            this.mode = type == FileType.SYMLINK ? 0777 : mode;
            this.uid = uid;
            this.gid = gid;
            this.size = size;
            this.content = content;
            this.target = target;
            this.major = major;
            this.minor = minor;
            this.xattrs = xattrs;
        }
    }

    /** A path in the tree. */
    static final class Node {
        final Inode inode;
        final Map<String, Node> children;
        int upperLayer = -1;

        Node(Inode inode) {
            this.inode = inode;
            this.children = inode.type == FileType.DIRECTORY ? new HashMap<>() : null;
        }

        boolean isDirectory() {
            return children != null;
        }
    }

    private final ImageLimits limits;
    private final Node root = new Node(new Inode(FileType.DIRECTORY, 0755, 0, 0, 0, null, null, 0, 0, List.of()));
    private final Set<String> seenInLayer = new HashSet<>();
    private int layer = -1;
    private String location = "";

    RootfsTree(ImageLimits limits) {
        this.limits = limits;
    }

    /** Starts the next layer. */
    void beginLayer(int index, String layerLocation) {
        layer = index;
        location = layerLocation;
        seenInLayer.clear();
    }

    /** Applies one entry of the current layer. */
    void apply(LayerEntry entry) throws ImageException {
        List<String> components = components(entry.name(), entry.name(), Reason.ABSOLUTE_PATH, Reason.PATH_TRAVERSAL);
        if (components.isEmpty()) {
            if (entry.type() != '5') {
                throw unsafe(entry, Reason.ROOT_TYPE_CHANGE, "an entry for the root must be a directory");
            }
            return; // the root's own metadata is not part of the digest
        }
        String base = components.get(components.size() - 1);
        List<String> parentComponents = components.subList(0, components.size() - 1);
        if (base.startsWith(".wh.")) {
            whiteout(entry, parentComponents, base);
            return;
        }
        String path = "/" + String.join("/", components);
        if (!seenInLayer.add(path)) {
            throw unsafe(entry, Reason.DUPLICATE_ENTRY, "the path appears more than once in this layer");
        }
        Node parent = parents(entry, parentComponents);
        Node existing = parent.children.get(base);
        Node node;
        if (entry.type() == '5' && existing != null && existing.isDirectory()) {
            existing.inode.mode = entry.mode();
            existing.inode.uid = entry.uid();
            existing.inode.gid = entry.gid();
            existing.inode.xattrs = entry.xattrs();
            node = existing;
        } else {
            if (existing != null) {
                parent.children.remove(base);
            }
            node = create(entry);
            parent.children.put(base, node);
        }
        node.upperLayer = layer;
    }

    private Node create(LayerEntry entry) throws ImageException {
        switch (entry.type()) {
            case '1': {
                List<String> target = components(entry.linkName(), entry.name(), Reason.HARDLINK_TARGET_OUTSIDE,
                    Reason.HARDLINK_TARGET_OUTSIDE);
                if (target.isEmpty()) {
                    throw unsafe(entry, Reason.HARDLINK_TO_DIRECTORY, "hard link to the root directory");
                }
                Node node = root;
                for (int i = 0; i < target.size(); i++) {
                    if (!node.isDirectory()) {
                        throw unsafe(entry, Reason.PARENT_NOT_DIRECTORY, "hard link target '" + entry.linkName()
                            + "' passes through a non-directory");
                    }
                    node = node.children.get(target.get(i));
                    if (node == null) {
                        throw unsafe(entry, Reason.HARDLINK_TARGET_MISSING, "hard link target '" + entry.linkName()
                            + "' does not exist");
                    }
                }
                if (node.isDirectory()) {
                    throw unsafe(entry, Reason.HARDLINK_TO_DIRECTORY, "hard link target '" + entry.linkName() + "' is a directory");
                }
                return new Node(node.inode);
            }
            case '5':
                return new Node(new Inode(FileType.DIRECTORY, entry.mode(), entry.uid(), entry.gid(), 0, null, null, 0, 0,
                    entry.xattrs()));
            case '2':
                if (entry.linkName().isEmpty()) {
                    throw new org.carapace.api.image.ImageFormatException(location + " entry '" + entry.name() + "'",
                        "symbolic link without a target");
                }
                return new Node(new Inode(FileType.SYMLINK, 0777, entry.uid(), entry.gid(), 0, null, entry.linkName(), 0, 0,
                    entry.xattrs()));
            case '3':
            case '4':
                return new Node(new Inode(entry.type() == '3' ? FileType.CHAR_DEVICE : FileType.BLOCK_DEVICE, entry.mode(),
                    entry.uid(), entry.gid(), 0, null, null, entry.devMajor(), entry.devMinor(), entry.xattrs()));
            case '6':
                return new Node(new Inode(FileType.FIFO, entry.mode(), entry.uid(), entry.gid(), 0, null, null, 0, 0,
                    entry.xattrs()));
            default:
                return new Node(new Inode(FileType.FILE, entry.mode(), entry.uid(), entry.gid(), entry.size(),
                    entry.content(), null, 0, 0, entry.xattrs()));
        }
    }

    /** The parent directory of an entry; missing ancestors are created as implied directories. */
    private Node parents(LayerEntry entry, List<String> parentComponents) throws ImageException {
        Node node = root;
        for (String component : parentComponents) {
            Node child = node.children.get(component);
            if (child == null) {
                child = new Node(new Inode(FileType.DIRECTORY, IMPLIED_DIRECTORY_MODE, 0, 0, 0, null, null, 0, 0, List.of()));
                node.children.put(component, child);
            } else if (!child.isDirectory()) {
                throw unsafe(entry, Reason.PARENT_NOT_DIRECTORY, "'" + component + "' on the way is a "
                    + child.inode.type.token() + ", not a directory");
            }
            child.upperLayer = layer;
            node = child;
        }
        return node;
    }

    private void whiteout(LayerEntry entry, List<String> parentComponents, String base) throws ImageException {
        Node directory = root;
        for (String component : parentComponents) {
            Node child = directory.children.get(component);
            if (child == null) {
                return; // nothing below a missing directory to white out
            }
            if (!child.isDirectory()) {
                throw unsafe(entry, Reason.PARENT_NOT_DIRECTORY, "'" + component + "' on the way is a "
                    + child.inode.type.token() + ", not a directory");
            }
            directory = child;
        }
        if (base.equals(".wh..wh..opq")) {
            purgeLower(directory);
            return;
        }
        if (base.startsWith(".wh..wh.")) {
            return; // AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not a whiteout
        }
        String name = base.substring(4);
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            throw unsafe(entry, Reason.PATH_TRAVERSAL, "whiteout of '" + name + "'");
        }
        Node victim = directory.children.get(name);
        if (victim == null) {
            return; // a whiteout of a missing path is a no-op (as in umoci and containerd)
        }
        if (victim.upperLayer == layer) {
            purgeLower(victim);
        } else {
            directory.children.remove(name);
        }
    }

    /** Removes everything below a directory that this layer did not create. */
    private void purgeLower(Node directory) {
        if (!directory.isDirectory()) {
            return;
        }
        Iterator<Node> children = directory.children.values().iterator();
        while (children.hasNext()) {
            Node child = children.next();
            if (child.upperLayer != layer) {
                children.remove();
            } else {
                purgeLower(child);
            }
        }
    }

    /**
     * Splits an entry or link name into components: {@code ./} prefixes, repeated slashes and {@code .} components
     * go; absolute names and {@code ..} are refused.
     */
    private List<String> components(String name, String entryName, Reason absolute, Reason traversal) throws ImageException {
        if (name.startsWith("/")) {
            throw new UnsafeEntryException(location, entryName, absolute, "'" + name + "' is absolute");
        }
        List<String> components = new ArrayList<>();
        for (String component : name.split("/")) {
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                throw new UnsafeEntryException(location, entryName, traversal, "'" + name + "' contains '..'");
            }
            components.add(component);
        }
        ImageLimits.check("maxPathDepth", limits.maxPathDepth(), components.size(), location + " entry '" + entryName + "'");
        return components;
    }

    private UnsafeEntryException unsafe(LayerEntry entry, Reason reason, String detail) {
        return new UnsafeEntryException(location, entry.name(), reason, detail);
    }

    /** A lookup for {@link SymlinkResolver} over this tree. */
    private SymlinkResolver.Lookup lookup() {
        return new SymlinkResolver.Lookup() {
            @Override
            public SymlinkResolver.Kind kind(String path) {
                Node node = find(path);
                if (node == null) {
                    return SymlinkResolver.Kind.MISSING;
                }
                return node.isDirectory() ? SymlinkResolver.Kind.DIRECTORY
                    : node.inode.type == FileType.SYMLINK ? SymlinkResolver.Kind.SYMLINK : SymlinkResolver.Kind.OTHER;
            }

            @Override
            public String readlink(String path) {
                return find(path).inode.target;
            }
        };
    }

    private Node find(String path) {
        Node node = root;
        if (path.equals("/")) {
            return node;
        }
        for (String component : path.substring(1).split("/")) {
            if (!node.isDirectory()) {
                return null;
            }
            node = node.children.get(component);
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    /**
     * The tree's entries in canonical order, without the excluded paths and everything below them. Each exclusion
     * is removed both as given and as resolved through the tree's symbolic links.
     */
    List<FileEntry> entries(Collection<String> exclusions) throws ImageException {
        Set<String> excluded = new LinkedHashSet<>();
        for (String exclusion : exclusions) {
            excluded.add(exclusion);
            try {
                excluded.add(SymlinkResolver.resolve(exclusion, lookup(), exclusions));
            } catch (Exception e) {
                throw new IllegalStateException("in-memory lookup cannot fail", e);
            }
        }
        for (String path : excluded) {
            if (path.equals("/")) {
                root.children.clear();
                continue;
            }
            Node parent = find(ImagePaths.parent(path));
            if (parent != null && parent.isDirectory()) {
                parent.children.remove(ImagePaths.name(path));
            }
        }
        List<Map.Entry<String, Node>> nodes = new ArrayList<>();
        collect("", root, nodes);
        if (nodes.size() > limits.maxEntries()) {
            throw new ImageLimitException("maxEntries", limits.maxEntries(), nodes.size(), location);
        }
        nodes = PathOrder.sorted(nodes, Map.Entry::getKey);
        Map<Inode, String> firstPath = new IdentityHashMap<>();
        Map<Inode, Integer> links = new IdentityHashMap<>();
        for (Map.Entry<String, Node> node : nodes) {
            if (!node.getValue().isDirectory()) {
                links.merge(node.getValue().inode, 1, Integer::sum);
            }
        }
        List<FileEntry> result = new ArrayList<>(nodes.size());
        for (Map.Entry<String, Node> item : nodes) {
            Inode inode = item.getValue().inode;
            Optional<String> hardlinkTo = Optional.empty();
            if (!item.getValue().isDirectory() && links.get(inode) > 1) {
                String first = firstPath.putIfAbsent(inode, item.getKey());
                hardlinkTo = Optional.ofNullable(first);
            }
            result.add(toEntry(item.getKey(), inode, hardlinkTo));
        }
        return result;
    }

    private static void collect(String prefix, Node directory, List<Map.Entry<String, Node>> out) {
        for (Map.Entry<String, Node> child : directory.children.entrySet()) {
            String path = prefix + "/" + child.getKey();
            out.add(Map.entry(path, child.getValue()));
            if (child.getValue().isDirectory()) {
                collect(path, child.getValue(), out);
            }
        }
    }

    static FileEntry toEntry(String path, Inode inode, Optional<String> hardlinkTo) {
        List<Xattr> xattrs = inode.xattrs;
        if (!xattrs.isEmpty()) {
            xattrs = new ArrayList<>();
            for (Xattr xattr : inode.xattrs) {
                if (CanonicalEncoding.covers(xattr.name(), inode.type, inode.mode)) {
                    xattrs.add(xattr);
                }
            }
        }
        return new FileEntry(path, inode.type, inode.mode, inode.uid, inode.gid, inode.type == FileType.FILE ? inode.size : 0,
            Optional.ofNullable(inode.content), Optional.ofNullable(inode.target), hardlinkTo,
            inode.type.isDevice() ? inode.major : 0, inode.type.isDevice() ? inode.minor : 0, xattrs);
    }
}
