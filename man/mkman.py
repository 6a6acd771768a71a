#!/usr/bin/env python3
"""Write Tank's man pages (roff) from the sources they describe, so they never drift:

  tank.1       from `tank --help` and each command's own `tank help COMMAND`
  tank.ini.5   from conf/tank.ini (its sections, keys, defaults and comments)
  tank-pod.5   from the README's "Manifests" section

usage: man/mkman.py TANK_BINARY OUTDIR VERSION
"""
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent
DATE = "2026"


def esc(text):
    """Text for roff: backslashes, and lines starting with a control character."""
    text = text.replace("\\", "\\e")
    out = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def inline(md):
    """Markdown inline code and emphasis to roff fonts (no emphasis inside code)."""
    parts = esc(md).split("`")
    for i, part in enumerate(parts):
        if i % 2:
            parts[i] = "\\fB" + part + "\\fR"
        else:
            part = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", part)
            parts[i] = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", part)
    return "".join(parts)


def head(name, section, version, what):
    return (f'.TH {name.upper()} {section} "{DATE}" "tank {version}" "{what}"\n'
            f".SH NAME\n{name} \\- ")


def run(tank, *args):
    r = subprocess.run([tank, *args], capture_output=True, text=True, check=False)
    return r.stdout


def man_tank(tank, version):
    top = run(tank, "--help")
    cmds = []
    for line in top.split("\n"):
        m = re.match(r"  ([a-z]+)(?: ([a-z]+))?\b", line)
        if m and (m.group(1), m.group(2) if m.group(2) in ("prune", "gc") else None) not in cmds:
            cmds.append((m.group(1), m.group(2) if m.group(2) in ("prune", "gc") else None))
    out = [head("tank", 1, version, "Tank manual") + "declarative container host agent",
           ".SH SYNOPSIS", ".B tank", "[\\fB\\-\\-config\\fR \\fIFILE\\fR] \\fICOMMAND\\fR "
           "[\\fIARGS\\fR...]", ".SH DESCRIPTION",
           "Tank converges the pods described by Kubernetes-style manifests in a directory "
           "(\\fIpods_dir\\fR, default /etc/tank/pods) on one Linux host: it pulls OCI images, "
           "builds each container's root file system, runs the containers in namespaces, "
           "restarts them by policy and answers \\fBtank status\\fR. The agent "
           "(\\fBtank agent\\fR) does the work; the other commands ask it or act on the image "
           "store and the manifests.", ".SH COMMANDS"]
    for cmd, sub in cmds:
        args = [cmd] + ([sub] if sub else [])
        text = run(tank, "help", *args).rstrip("\n")
        if not text:
            continue
        lines = text.split("\n")
        out.append(".SS " + esc(" ".join(args)))
        out.append(".nf")
        out.append(esc("\n".join(lines)))
        out.append(".fi")
    out += [".SH OPTIONS", ".TP", "\\fB\\-\\-config\\fR \\fIFILE\\fR",
            "The configuration, before or after the command. Default: \\fB$TANK_CONFIG\\fR, "
            "else /etc/tank/tank.ini. See \\fBtank.ini\\fR(5).", ".TP", "\\fB\\-h\\fR, "
            "\\fB\\-\\-help\\fR", "The command's own usage (also \\fBtank help\\fR "
            "\\fICOMMAND\\fR).",
            ".SH EXIT STATUS", "0 on success; 1 on a failure, with one line on standard error; "
            "2 on a usage error. \\fBtank validate\\fR exits 1 when a manifest is not valid; "
            "\\fBtank exec\\fR exits with its command's status (126 when it cannot be run, "
            "127 when it is not found, 128+N when signal N killed it).",
            ".SH ENVIRONMENT", ".TP", ".B TANK_CONFIG",
            "The configuration file when no \\fB\\-\\-config\\fR is given.",
            ".SH FILES", ".TP", ".I /etc/tank/tank.ini", "The configuration.", ".TP",
            ".I /etc/tank/pods", "The manifests (keep it readable by root only: manifests may "
            "hold secrets).", ".TP", ".I /var/lib/tank", "Image store, writable layers, "
            "emptyDir volumes.", ".TP", ".I /run/tank", "Pod namespaces, container state, the "
            "API socket.", ".TP", ".I /var/log/tank", "Container logs in the CRI format.",
            ".SH SEE ALSO", "\\fBtank.ini\\fR(5), \\fBtank-pod\\fR(5), \\fBsystemctl\\fR(1)"]
    return "\n".join(out) + "\n"


def man_ini(version):
    out = [head("tank.ini", 5, version, "Tank manual") + "configuration of the Tank agent",
           ".SH SYNOPSIS", "/etc/tank/tank.ini", ".SH DESCRIPTION"]
    comments = []
    intro_done = False
    for raw in (SRC / "conf/tank.ini").read_text().split("\n"):
        line = raw.strip()
        if line.startswith(";"):
            comments.append(line[1:].strip())
            continue
        if not line:
            if not intro_done and comments:
                out.append(inline(" ".join(comments)))
                comments = []
                intro_done = True
            continue
        m = re.match(r"\[(\w+)\]$", line)
        if m:
            if not intro_done and comments:
                out.append(inline(" ".join(comments)))
                intro_done = True
                comments = []
            out.append(".SH [" + m.group(1).upper() + "]")
            out[-1] = ".SH SECTION [" + m.group(1) + "]"
            if comments:
                out.append(inline(" ".join(comments)))
            comments = []
            continue
        m = re.match(r"(\w+)\s*=\s*(.*)$", line)
        if m:
            out += [".TP", "\\fB" + esc(m.group(1)) + "\\fR = " +
                    ("\\fI" + esc(m.group(2)) + "\\fR" if m.group(2) else "(empty)")]
            out.append(inline(" ".join(comments)) if comments else "")
            comments = []
    out += [".SH SEE ALSO", "\\fBtank\\fR(1), \\fBtank-pod\\fR(5)"]
    return "\n".join(x for x in out if x is not None) + "\n"


def md_section(title):
    text = (SRC / "README.md").read_text()
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## )", text, re.S | re.M)
    return m.group(1).strip() if m else ""


def md_to_roff(md):
    out = []
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.append(inline(" ".join(para)))
            para.clear()

    for line in md.split("\n"):
        if line.startswith("|"):
            flush()
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(re.fullmatch(r"-+", c) for c in cells):
                continue
            if cells[0] in ("field", "key"):
                continue
            out += [".TP", inline(cells[0]), inline(" | ".join(cells[1:]))]
        elif line.startswith("```"):
            flush()
            out.append(".nf" if not out or out[-1] != ".nf" else ".fi")
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
    flush()
    return "\n".join(out)


def man_pod(version):
    out = [head("tank-pod", 5, version, "Tank manual") + "the Pod manifests Tank runs",
           ".SH DESCRIPTION", md_to_roff(md_section("Manifests")),
           ".SH SEE ALSO", "\\fBtank\\fR(1), \\fBtank.ini\\fR(5)"]
    return "\n".join(out) + "\n"


def main():
    tank, outdir, version = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "tank.1").write_text(man_tank(tank, version))
    (outdir / "tank.ini.5").write_text(man_ini(version))
    (outdir / "tank-pod.5").write_text(man_pod(version))


if __name__ == "__main__":
    main()
