"""Flows in the shape of Metaflow's tutorials (our own code and data): a parameterized
playlist over an included CSV with a static branch, a per-genre foreach of statistics,
and a notebook-style client session reading them back (get_metadata, namespace, Flow,
latest_successful_run, run.data, tags). Each runs through ``python flow.py run`` as the
tutorials do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

PLAYLIST = textwrap.dedent(
    """
    from dflow import FlowSpec, IncludeFile, Parameter, step


    class SongListFlow(FlowSpec):
        songs = IncludeFile("songs", default="songs.csv", help="title,genre,plays")
        genre = Parameter("genre", default="jazz")
        count = Parameter("count", default=2, type=int)

        @step
        def start(self):
            rows = [line.split(",") for line in self.songs.strip().splitlines()[1:]]
            self.rows = [(t, g, int(p)) for t, g, p in rows]
            self.next(self.by_genre, self.bonus)

        @step
        def by_genre(self):
            chosen = [r for r in self.rows if r[1] == self.genre]
            self.picks = [t for t, _, _ in sorted(chosen, key=lambda r: -r[2])][: self.count]
            self.next(self.join)

        @step
        def bonus(self):
            self.bonus_pick = max(self.rows, key=lambda r: r[2])[0]
            self.next(self.join)

        @step
        def join(self, inputs):
            self.playlist = inputs.by_genre.picks + [inputs.bonus.bonus_pick]
            self.next(self.end)

        @step
        def end(self):
            print("playlist", self.playlist)


    if __name__ == "__main__":
        SongListFlow()
    """
)

STATS = textwrap.dedent(
    """
    from dflow import FlowSpec, IncludeFile, step


    class SongStatsFlow(FlowSpec):
        songs = IncludeFile("songs", default="songs.csv")

        @step
        def start(self):
            rows = [line.split(",") for line in self.songs.strip().splitlines()[1:]]
            self.table = [(t, g, int(p)) for t, g, p in rows]
            self.genres = sorted({g for _, g, _ in self.table})
            self.next(self.compute, foreach="genres")

        @step
        def compute(self):
            self.genre = self.input
            plays = sorted(p for _, g, p in self.table if g == self.genre)
            self.stats = {"n": len(plays), "max": plays[-1], "min": plays[0]}
            self.next(self.join)

        @step
        def join(self, inputs):
            self.genre_stats = {inp.genre: inp.stats for inp in inputs}
            self.next(self.end)

        @step
        def end(self):
            pass


    if __name__ == "__main__":
        SongStatsFlow()
    """
)

SONGS = "title,genre,plays\nA,jazz,5\nB,jazz,9\nC,rock,30\nD,jazz,1\nE,rock,7\n"


def _run(folder, name: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DFLOW_STORE": str(folder / "store")}
    return subprocess.run(
        [sys.executable, name, "run", "--scheduler", "sync", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_tutorial_shaped_flows_and_a_notebook_session(tmp_path):
    (tmp_path / "songs.csv").write_text(SONGS)
    (tmp_path / "songlist.py").write_text(PLAYLIST)
    (tmp_path / "songstats.py").write_text(STATS)
    done = _run(tmp_path, "songlist.py", "--genre", "jazz", "--tag", "tutorial")
    assert done.returncode == 0, done.stderr
    assert "playlist ['B', 'A', 'C']" in done.stdout
    done = _run(tmp_path, "songstats.py")
    assert done.returncode == 0, done.stderr
    notebook = textwrap.dedent(
        """
        from dflow import Flow, Metaflow, get_metadata, namespace
        print("metadata", get_metadata())
        run = Flow("SongStatsFlow").latest_successful_run
        print("stats", sorted(run.data.genre_stats.items()))
        namespace(None)
        names = sorted(f.id for f in Metaflow())
        print("flows", names)
        songs = Flow("SongListFlow").latest_successful_run
        print("tagged", "tutorial" in songs.tags, songs.finished, songs.data.playlist)
        """
    )
    env = {**os.environ, "DFLOW_STORE": str(tmp_path / "store")}
    cell = subprocess.run(
        [sys.executable, "-c", notebook], env=env, capture_output=True, text=True, timeout=120
    )
    assert cell.returncode == 0, cell.stderr
    out = cell.stdout
    assert f"metadata local@{tmp_path / 'store'}" in out
    assert (
        "stats [('jazz', {'n': 3, 'max': 9, 'min': 1}), ('rock', {'n': 2, 'max': 30, 'min': 7})]"
    ) in out
    assert "flows ['SongListFlow', 'SongStatsFlow']" in out
    assert "tagged True True ['B', 'A', 'C']" in out
