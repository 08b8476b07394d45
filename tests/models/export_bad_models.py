"""Writes broken copies of a good torch.export archive into OUT_DIR, one defect each, for
the reader's error tests: bad_json.pt2 (models/model.json is not JSON), missing_weight.pt2
(a weight file the config names is absent), future_schema.pt2 (schema version 99.0),
unknown_node.pt2 (a node whose target is no operator, with an unknown argument kind).
Usage: export_bad_models.py GOOD.pt2 OUT_DIR"""
import json
import os
import sys
import zipfile


def rewrite(source, target, change):
    """Copies the archive entry by entry; change(name, data) returns new data or None to
    leave the entry out."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)


def model_json(change):
    def apply(name, data):
        if not name.endswith("models/model.json"):
            return data
        model = json.loads(data)
        change(model)
        return json.dumps(model).encode()
    return apply


def future_schema(model):
    model["schema_version"] = {"major": 99, "minor": 0}


def unknown_node(model):
    node = model["graph_module"]["graph"]["nodes"][0]
    node["target"] = "torch.ops.aten.no_such_op.default"
    node["inputs"][0]["arg"] = {"as_mystery": 1}


def main(good, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    out = lambda name: os.path.join(out_dir, name)
    rewrite(good, out("bad_json.pt2"),
            lambda n, d: b"{\"graph_module\": [1, 2" if n.endswith("models/model.json") else d)
    rewrite(good, out("missing_weight.pt2"),
            lambda n, d: None if n.endswith("data/weights/weight_1") else d)
    rewrite(good, out("future_schema.pt2"), model_json(future_schema))
    rewrite(good, out("unknown_node.pt2"), model_json(unknown_node))
    print("wrote broken archives")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
