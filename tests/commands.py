"""The `orgsim` commands a page shows, and how the tests run them small (the README's and the docs' tests)."""

from __future__ import annotations

import re
import shlex

SIZED = {"compare", "optimise", "demo", "sweep"}


def sh_commands(text: str) -> list[str]:
    """Each `orgsim` line of a ```sh block, continuation lines joined and the trailing comment removed."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            line = re.sub(r"\s+", " ", line)
            if line.startswith("orgsim "):
                commands.append(line)
    return commands


def small(command: str) -> list[str]:
    """The command as an argument list, with small sizes and no shell redirection."""
    words = shlex.split(command)
    if ">" in words:
        words = words[: words.index(">")]
    if "--select" in words:
        return words[1:]  # -r is the selection's first stage, not its size: the procedure sizes itself from --delta
    for i, w in enumerate(words[:-1]):
        if w in ("-r", "--replications"):
            words[i + 1] = "2"
    if words[1] in SIZED | {"run"} and "-r" not in words and "--replications" not in words:
        words += ["-r", "2"]
    if words[1] == "run" and "--horizon" not in words:
        words += ["--horizon", "400"]  # the reference engine on a full baseline horizon takes a minute per replication
    return words[1:]
