"""Walk the mapping graph: which provisions of other instruments correspond to a provision.

Mappings are edges read both ways (the reverse of `broad` is `narrow`). A path of several
hops composes its predicates conservatively (see `compose`) and multiplies confidences, so a
long chain never claims more than its weakest link. For each target the most confident path is
kept; every hop (`Step`) carries its own predicate, confidence and justification, so a query can
show why each link holds, apply a confidence floor and rank the results. With `via_principles`, provisions that are
mapped to the same shared principle are also returned, as `related`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .vocab import PRINCIPLE_PREFIX, Predicate, split_qualified


@dataclass(frozen=True)
class Edge:
    target: str
    predicate: Predicate
    confidence: float
    justification: str
    comment: str
    comment_zh: str | None = None


@dataclass
class Step:
    """One hop of a path: the mapping read from `source` to `target`, with its own confidence and reason."""

    source: str
    target: str
    predicate: str
    comment: str
    comment_zh: str | None = None
    confidence: float = 1.0
    justification: str = ""


@dataclass
class Hit:
    qid: str
    instrument_id: str
    predicate: str
    confidence: float
    hops: int
    via_principle: str | None = None
    justification: str = ""
    path: list[Step] = field(default_factory=list)


def compose(a: Predicate, b: Predicate) -> Predicate:
    """Predicate of the chain x -a-> y -b-> z."""
    P = Predicate
    if a is P.exact:
        return b
    if b is P.exact:
        return a
    if P.related in (a, b):
        return P.related
    if a is P.close and b is P.close:
        return P.close
    if P.close in (a, b):
        other = b if a is P.close else a
        return other  # close then broad is (about) broad
    if a is b:  # broad∘broad or narrow∘narrow stay so (transitive)
        return a
    return P.related  # broad then narrow: siblings only


#: confidence given to "both provisions serve the same shared principle": a weak, indirect signal
PRINCIPLE_SHARED_CONFIDENCE = 0.5


class MappingGraph:
    def __init__(self, rows: list[tuple]):
        """rows: (subject, predicate, object, confidence, justification, comment[, comment_zh])."""
        self.edges: dict[str, list[Edge]] = defaultdict(list)
        self.principles_of: dict[str, list[tuple[str, Predicate]]] = defaultdict(list)
        self.members_of: dict[str, list[tuple[str, Predicate]]] = defaultdict(list)
        for subj, pred, obj, conf, just, comment, *rest in rows:
            comment_zh = rest[0] if rest else None
            p = Predicate(pred)
            if obj.startswith(PRINCIPLE_PREFIX):
                principle = obj[len(PRINCIPLE_PREFIX) :]
                self.principles_of[subj].append((principle, p))
                self.members_of[principle].append((subj, p))
                continue
            if subj.startswith(PRINCIPLE_PREFIX):
                continue
            self.edges[subj].append(Edge(obj, p, conf, just, comment, comment_zh))
            self.edges[obj].append(Edge(subj, p.inverse, conf, just, comment, comment_zh))

    def walk(
        self,
        start: str,
        *,
        max_hops: int = 2,
        via_principles: bool = False,
        to: set[str] | None = None,
        min_confidence: float = 0.0,
        ranked: bool = False,
        other_instruments_only: bool = False,
    ) -> list[Hit]:
        """Provisions reachable from `start` in at most `max_hops` mappings.

        For each target the most confident path is kept (path confidence = product of the hop
        confidences; ties go to the shorter path). Paths whose confidence falls below
        `min_confidence` are dropped — since confidences are at most 1, a path never regains
        confidence, so pruning while walking is exact. `ranked` orders hits by path confidence
        (then hops); otherwise by hops, then confidence. `other_instruments_only` drops hits in the
        start's own instrument (siblings reached through a shared broader provision)."""
        best: dict[str, Hit] = {}
        frontier: dict[str, tuple[Predicate, float, list[Step]]] = {start: (Predicate.exact, 1.0, [])}
        for _ in range(max_hops):
            nxt: dict[str, tuple[Predicate, float, list[Step]]] = {}
            for node, (pred, conf, path) in frontier.items():
                on_path = {start, *(s.target for s in path)}
                for e in self.edges.get(node, ()):
                    if e.target in on_path:
                        continue
                    nconf = conf * e.confidence
                    if nconf < min_confidence:
                        continue
                    old = best.get(e.target)
                    if old is not None and (
                        old.confidence > round(nconf, 4) or (old.confidence == round(nconf, 4) and old.hops <= len(path) + 1)
                    ):
                        continue
                    cand = nxt.get(e.target)
                    if cand is not None and cand[1] >= nconf:
                        continue
                    npred = compose(pred, e.predicate)
                    npath = path + [
                        Step(node, e.target, e.predicate.value, e.comment, e.comment_zh, round(e.confidence, 4), e.justification)
                    ]
                    nxt[e.target] = (npred, nconf, npath)
            for target, (npred, nconf, npath) in nxt.items():
                just = npath[0].justification if len(npath) == 1 else "semapv:MappingChaining"
                best[target] = Hit(
                    target, split_qualified(target)[0], npred.value, round(nconf, 4), len(npath), justification=just, path=npath
                )
            frontier = nxt
            if not frontier:
                break
        best.pop(start, None)
        if via_principles and PRINCIPLE_SHARED_CONFIDENCE >= min_confidence:
            for principle, _p in self.principles_of.get(start, ()):
                for member, _q in self.members_of.get(principle, ()):
                    if member == start or member in best:
                        continue
                    best[member] = Hit(
                        member,
                        split_qualified(member)[0],
                        Predicate.related.value,
                        PRINCIPLE_SHARED_CONFIDENCE,
                        2,
                        via_principle=principle,
                        justification="semapv:MappingChaining",
                        path=[
                            Step(start, PRINCIPLE_PREFIX + principle, "broad", "shares the principle", "共享同一原则", 1.0),
                            Step(
                                PRINCIPLE_PREFIX + principle,
                                member,
                                "narrow",
                                "shares the principle",
                                "共享同一原则",
                                PRINCIPLE_SHARED_CONFIDENCE,
                            ),
                        ],
                    )
        hits = [h for h in best.values() if to is None or h.instrument_id in to]
        if other_instruments_only:
            own = split_qualified(start)[0]
            hits = [h for h in hits if h.instrument_id != own]
        if ranked:
            hits.sort(key=lambda h: (-h.confidence, h.hops, h.via_principle is not None, h.qid))
        else:
            hits.sort(key=lambda h: (h.via_principle is not None, h.hops, -h.confidence, h.qid))
        return hits
