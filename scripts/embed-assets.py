#!/usr/bin/env python3
"""Writes the dashboard's files into a C source (web_assets[] of
src/web/web.h), so vigil web serves them from its own binary.
   embed-assets.py OUT.c URLPATH=FILE..."""
import os, sys

TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
         '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml'}


def main():
    out = sys.argv[1]
    rows, data = [], []
    for i, spec in enumerate(sys.argv[2:]):
        path, f = spec.split('=', 1)
        mime = TYPES[os.path.splitext(path)[1]]
        b = open(f, 'rb').read()
        hexes = ','.join(str(x) for x in b)
        data.append(f'static const unsigned char a{i}[] = {{{hexes},0}};\n')
        rows.append(f'\t{{ "{path}", "{mime}", a{i}, {len(b)}u }},\n')
    with open(out, 'w') as o:
        o.write('/* made by scripts/embed-assets.py at build time: do not edit */\n')
        o.write('#include "web.h"\n\n')
        o.writelines(data)
        o.write('\nconst struct web_asset web_assets[] = {\n')
        o.writelines(rows)
        o.write('};\n')
        o.write(f'const unsigned web_nassets = {len(rows)}u;\n')


if __name__ == '__main__':
    main()
