#!/usr/bin/env bash
# trfpipe's encoder beside Hugging Face transformers (PyTorch, eager and SDPA attention) and ONNX
# Runtime on the same random bert-base / roberta-base weights: tokens/s, GFLOP/s, % of the GEMM
# ceiling, ratios and peak RSS per engine, then end to end on SOTU text. See --help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bash bench/peers.sh [--setup] [--threads 1,2] [--archs bert,roberta] [--rounds 2]
                           [--iters 1] [--shapes 1x128,32x128,8x512] [--docs 300] [--note TEXT]
                           [--dtypes fp32,bf16,int8]

Runs, in one process tree and interleaved (A B C A B C ...), each engine in its own process on the
same weights and inputs (bench/peers.py):
  trfpipe    build/bin/encoder_bench --model DIR (shapes), `trfpipe apply` (end to end)
  hf-eager   transformers.AutoModel, attn_implementation="eager"  } python3-transformers and
  hf-sdpa    transformers.AutoModel, attn_implementation="sdpa"   } python3-torch in Debian sid
  ort        python3-onnxruntime (CPUExecutionProvider) on a torch.onnx.export of the same
             weights (opset 17, dynamic batch and length axes), in Debian sid
Peers that are not installed are skipped with a message. The random base-shape checkpoints
(`trfpipe init model --arch bert|roberta`, seed 0) are written once and loaded by every engine.
The last line reads `trfpipe/onnxruntime fp32 32x128: R` (R = trfpipe tokens/s / ORT's, bert-base,
the first thread count).

Options:
  --setup          build the Debian sid chroot (debootstrap --variant=minbase) and install
                   python3-transformers python3-torch python3-onnxruntime python3-onnx
                   python3-safetensors libopenblas0-pthread in it with apt; needs root
                   and DEBIAN_MIRROR
  --threads LIST   threads per engine, the same for all (default 1,2)
  --archs LIST     bert and/or roberta (default both)
  --rounds N       interleaved rounds (default 2)
  --iters N        timed forwards per shape after a one-row warm-up (default 1)
  --shapes LIST    batch x length (default 1x128,32x128,8x512)
  --docs N         SOTU docs (~80 words each) end to end; 0 skips it (default 300)
  --note TEXT      a line printed in the header (e.g. "shared machine, load ~8")
  --dtypes LIST    trfpipe's encoder also in these inference dtypes (bf16, int8: rows trfpipe-bf16,
                   trfpipe-int8 in the shapes table, interleaved with the others; default fp32)

Environment:
  DEBIAN_MIRROR       a Debian mirror URL for --setup (a placeholder: nothing is written into
                      the repository; e.g. your site's mirror)
  TRFPIPE_SID_CHROOT  the chroot (default /var/tmp/trfpipe-sid, outside the repository)
  TRFPIPE_PEERS_WORK  checkpoints, ONNX files, pipelines, docs (default /var/tmp/trfpipe-peers)
  TRFPIPE_BUILD       the build folder with bin/trfpipe and bin/encoder_bench (default ./build)
  TRFPIPE_SHARED      the shared data folder (default ../shared: SOTU text, tokenizers)
The chroot is entered with chroot(8), with the work folder bind-mounted at /peers and /proc
mounted (both unmounted on exit): run as root.
EOF
}

root=$(cd "$(dirname "$0")/.." && pwd)
chroot_dir=${TRFPIPE_SID_CHROOT:-/var/tmp/trfpipe-sid}
work=${TRFPIPE_PEERS_WORK:-/var/tmp/trfpipe-peers}
build=${TRFPIPE_BUILD:-$root/build}
shared=${TRFPIPE_SHARED:-$root/../shared}
setup=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --setup) setup=1 ;;
    --threads|--archs|--rounds|--iters|--shapes|--docs|--note|--dtypes)
      [ $# -ge 2 ] || { echo "peers.sh: $1 needs a value" >&2; exit 2; }
      args+=("$1" "$2"); shift ;;
    *) echo "peers.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# libopenblas0-pthread: without it (a Recommends) python3-torch runs on the reference BLAS.
peer_packages="python3-transformers python3-torch python3-onnxruntime python3-onnx python3-safetensors
  libopenblas0-pthread"
# Debian mirrors served from a snapshot carry Release files past their Valid-Until date.
apt_opts=(-o Acquire::Check-Valid-Until=false)

if [ "$setup" = 1 ]; then
  : "${DEBIAN_MIRROR:?set DEBIAN_MIRROR to a Debian mirror URL for --setup (see --help)}"
  command -v debootstrap >/dev/null || apt-get install -y debootstrap
  if [ ! -x "$chroot_dir/usr/bin/apt-get" ]; then
    echo "peers.sh: building a Debian sid chroot in $chroot_dir"
    debootstrap --variant=minbase sid "$chroot_dir" "$DEBIAN_MIRROR"
  fi
  cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
  chroot "$chroot_dir" apt-get "${apt_opts[@]}" update
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive chroot "$chroot_dir" apt-get "${apt_opts[@]}" install -y \
    --no-install-recommends $peer_packages
fi

for exe in trfpipe encoder_bench; do
  [ -x "$build/bin/$exe" ] || { echo "peers.sh: $build/bin/$exe not found: build trfpipe first" >&2; exit 1; }
done

mkdir -p "$work"
cp "$root/bench/peers.py" "$work/peers.py"
chroot_arg=""
if [ -x "$chroot_dir/usr/bin/python3" ]; then
  mounted=()
  cleanup() { for m in "${mounted[@]}"; do umount "$m" || true; done; }
  trap cleanup EXIT
  mkdir -p "$chroot_dir/peers"
  if ! mountpoint -q "$chroot_dir/proc"; then
    mount -t proc proc "$chroot_dir/proc" && mounted+=("$chroot_dir/proc")
  fi
  if ! mountpoint -q "$chroot_dir/peers"; then
    mount --bind "$work" "$chroot_dir/peers" && mounted=("$chroot_dir/peers" "${mounted[@]}")
  fi
  chroot_arg=$chroot_dir
else
  echo "peers.sh: no Debian sid chroot at $chroot_dir (bash bench/peers.sh --setup builds one):" \
       "the peers are skipped"
fi

python3 "$root/bench/peers.py" orchestrate --build "$build" --shared "$shared" --work "$work" \
  --chroot "$chroot_arg" "${args[@]}"
