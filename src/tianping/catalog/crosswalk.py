"""Walk the mapping graph: which provisions of other instruments correspond to a provision.

Mappings are edges read both ways (the reverse of `broad` is `narrow`). A path of several
hops composes its predicates conservatively (see `compose`) and multiplies confidences, so a
long chain never claims more than its weakest link. With `via_principles`, provisions that are
mapped to the same shared principle are also returned, as `related`.
"""

from __future__ import annotations

from collections import defaultdict, deque
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
    source: str
    target: str
    predicate: str
    comment: str
    comment_zh: str | None = None


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
                principle = obj[len(PRINCIPLE_PREFIX):]
                self.principles_of[subj].append((principle, p))
                self.members_of[principle].append((subj, p))
                continue
            if subj.startswith(PRINCIPLE_PREFIX):
                continue
            self.edges[subj].append(Edge(obj, p, conf, just, comment, comment_zh))
            self.edges[obj].append(Edge(subj, p.inverse, conf, just, comment, comment_zh))

    def walk(self, start: str, *, max_hops: int = 2, via_principles: bool = False,
             to: set[str] | None = None) -> list[Hit]:
        best: dict[str, Hit] = {}
        queue: deque[tuple[str, Predicate, float, list[Step]]] = deque([(start, Predicate.exact, 1.0, [])])
        visited = {start}
        while queue:
            node, pred, conf, path = queue.popleft()
            if len(path) >= max_hops:
                continue
            for e in self.edges.get(node, ()):
                if e.target in visited:
                    continue
                visited.add(e.target)
                npred = compose(pred, e.predicate)
                nconf = conf * e.confidence
                npath = path + [Step(node, e.target, e.predicate.value, e.comment, e.comment_zh)]
                best[e.target] = Hit(e.target, split_qualified(e.target)[0], npred.value, round(nconf, 4),
                                     len(npath), justification=e.justification, path=npath)
                queue.append((e.target, npred, nconf, npath))
        if via_principles:
            for principle, _p in self.principles_of.get(start, ()):
                for member, _q in self.members_of.get(principle, ()):
                    if member == start or member in best:
                        continue
                    best[member] = Hit(member, split_qualified(member)[0], Predicate.related.value, 0.5, 2,
                                       via_principle=principle, justification="semapv:MappingChaining",
                                       path=[Step(start, PRINCIPLE_PREFIX + principle, "broad", "shares the principle", "共享同一原则"),
                                             Step(PRINCIPLE_PREFIX + principle, member, "narrow", "shares the principle", "共享同一原则")])
        hits = [h for h in best.values() if to is None or h.instrument_id in to]
        hits.sort(key=lambda h: (h.via_principle is not None, h.hops, -h.confidence, h.qid))
        return hits
