"""Evaluating suricata-verify-style `filter` matches over eve records, for
the golden runner and the suricata-verify runner: dotted paths with [i]
indexes, has-key / not-has-key, and the __len, __contains, __startswith,
__endswith, __find suffixes.  loose=True also accepts a value whose text
equals the wanted one (suricata-verify's YAML writes numbers as strings in
places); the golden cases compare exactly."""
import re


def lookup(obj, path):
    """The value at a dotted path, or KeyError (the class) if absent."""
    if not isinstance(path, str):
        return KeyError
    cur = obj
    for part in re.findall(r'[^.\[\]]+|\[\d+\]', path):
        if part.startswith('['):
            i = int(part[1:-1])
            if not isinstance(cur, list) or i >= len(cur):
                return KeyError
            cur = cur[i]
        else:
            if not isinstance(cur, dict) or part not in cur:
                return KeyError
            cur = cur[part]
    return cur


def matches(rec, match, loose=False):
    for key, want in match.items():
        # (one key, or a list of keys: every one of them)
        if key == 'has-key':
            if any(lookup(rec, k) is KeyError for k in (want if isinstance(want, list) else [want])):
                return False
            continue
        if key == 'not-has-key':
            if any(lookup(rec, k) is not KeyError for k in (want if isinstance(want, list) else [want])):
                return False
            continue
        suffix = None
        for s in ('__len', '__contains', '__startswith', '__endswith', '__find'):
            if key.endswith(s):
                suffix, key = s, key[:-len(s)]
                break
        v = lookup(rec, key)
        if v is KeyError:
            return False
        if suffix == '__len':
            if not hasattr(v, '__len__') or len(v) != want:
                return False
        elif suffix == '__contains':
            if want not in v:
                return False
        elif suffix == '__startswith':
            if not str(v).startswith(str(want)):
                return False
        elif suffix == '__endswith':
            if not str(v).endswith(str(want)):
                return False
        elif suffix == '__find':
            if str(want) not in str(v):
                return False
        elif isinstance(want, bool) or isinstance(v, bool) or not loose:
            if v != want:
                return False
        elif v != want and str(v) != str(want):
            return False
    return True
