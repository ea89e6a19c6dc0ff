#!/usr/bin/env bash
# Records the current API bundle as the released baseline that later builds are compared with
# (bnd-baseline-maven-plugin: an API change without the right package version bump fails the build).
#   cnf/release-baseline.sh 0.1.0
# The baseline lives in a file-based Maven repository inside the tree, so no registry is involved.
set -euo pipefail
version=${1:?usage: cnf/release-baseline.sh VERSION}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$top/bundles/org.carapace.api" "$work/api"
cp "$top/bnd.bnd" "$work/bnd.bnd"
# a stand-alone copy of the API module at the release version, built without baselining itself
sed -e "0,/<version>.*<\/version>/s//<version>$version<\/version>/" "$top/pom.xml" > "$work/pom.xml"
sed -i -e 's#<module>.*</module>##' -e 's#<modules>#<modules><module>api</module>#' "$work/pom.xml"
sed -i -e "0,/<version>.*<\/version>/s//<version>$version<\/version>/" -e 's#<relativePath>../../pom.xml#<relativePath>../pom.xml#' \
    "$work/api/pom.xml"
(cd "$work" && mvn -B -q -o package -DskipTests -Dbnd.baseline.skip=true -Dcheckstyle.skip -Deditorconfig.skip)
repo="$top/cnf/baseline-repo"
mvn -B -q -o install:install-file -Dfile="$work/api/target/org.carapace.api-$version.jar" \
    -DgroupId=org.carapace -DartifactId=org.carapace.api -Dversion="$version" -Dpackaging=jar \
    -DlocalRepositoryPath="$repo" -DcreateChecksum=true
# served as a remote (file) repository: remote metadata names, no local-install bookkeeping
meta="$repo/org/carapace/org.carapace.api"
mv "$meta/maven-metadata-local.xml" "$meta/maven-metadata.xml"
find "$meta" -name _remote.repositories -delete
echo "baseline org.carapace.api $version recorded in cnf/baseline-repo"
