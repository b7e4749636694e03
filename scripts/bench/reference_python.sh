# Sourced by the bench and device scripts: sets PYTHON to the Python that runs the golden generator
# and the reference bench (transformers 4.31 & co.), unless the caller set it: the project's .venv,
# else the shared one of this workplace, else python3. Needs ROOT.
if [[ -z "${PYTHON:-}" ]]; then
  for candidate in "$ROOT/.venv/bin/python" /work/main/.venv/bin/python; do
    if [[ -x "$candidate" ]]; then PYTHON="$candidate"; break; fi
  done
  PYTHON="${PYTHON:-python3}"
fi
