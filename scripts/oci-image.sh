#!/bin/bash
# scripts/oci-image.sh ROOTFS OUT.tar NAME: an OCI image layout tar of a rootfs (one uncompressed
# layer), for `ctr images import OUT.tar`; nothing is downloaded. Used to try nk-runtime under
# containerd: ctr run --runtime io.containerd.runc.v2 --runc-binary dist/nk-runtime NAME ID CMD
set -euo pipefail
rootfs=$1 out=$2 name=$3
work=$(mktemp -d)
mkdir -p $work/blobs/sha256
tar -C "$rootfs" --numeric-owner -cf $work/layer.tar .
ldig=$(sha256sum $work/layer.tar | cut -d' ' -f1); lsize=$(stat -c %s $work/layer.tar)
mv $work/layer.tar $work/blobs/sha256/$ldig
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' $ldig > $work/config.json
cdig=$(sha256sum $work/config.json | cut -d' ' -f1); csize=$(stat -c %s $work/config.json)
mv $work/config.json $work/blobs/sha256/$cdig
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' $cdig $csize $ldig $lsize > $work/manifest.json
mdig=$(sha256sum $work/manifest.json | cut -d' ' -f1); msize=$(stat -c %s $work/manifest.json)
mv $work/manifest.json $work/blobs/sha256/$mdig
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' $mdig $msize "$name" > $work/index.json
echo '{"imageLayoutVersion":"1.0.0"}' > $work/oci-layout
tar -C $work -cf "$out" oci-layout index.json blobs
rm -rf $work
