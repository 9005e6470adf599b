//! What the codes of EROFS mean.

use super::Explanation;

pub const EXTRA_DEVICES: Explanation = Explanation {
    what: "The EROFS superblock names extra devices (a device table, as mkfs.erofs --blobdev writes): chunks stored on them are not in this image and are not mapped.",
    attack: "Nothing by itself. But the files whose chunks live on blob devices get their contents from whatever device is supplied at mount: this image does not pin them down, and their blocks cannot be checked here.",
    fsck: "fsck.erofs takes the extra devices with --device=X, one per device; given none, fsck.erofs 1.5 passed an image whose superblock names one (exit 0).",
    immutable: "The blob devices are as immutable as the image only if they are supplied from the same trusted source.",
};

pub const PARTIAL_OVERLAP: Explanation = Explanation {
    what: "On an immutable image (EROFS), one file's data starts inside another file's: a share that deduplication, which shares whole chunks, never makes.",
    attack: "Nothing can be written through it: reading one file returns part of the other's contents. On ext4 the same layout is a critical cross-link (read, tamper, double free); here it is a sign that the image was crafted or damaged.",
    fsck: "fsck.erofs checks no ownership at all and passes the image.",
    immutable: "This is the immutable case: the sharing is harmless at run time, but the image is not what mkfs.erofs writes.",
};
