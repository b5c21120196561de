"""The files make_gnn_models.py writes, for genrules with declared outputs."""

# name -> (graph inputs, graph outputs); each model has GNN_DATA_SETS data sets (make_gnn_models.py's SIZES).
GNN_ONNX_MODELS = {
    "atlas_tracks": (2, 1),
    "message_passing": (4, 2),
    "particlenet": (2, 1),
}

GNN_DATA_SETS = 6

def gnn_model_files(name):
    inputs, outputs = GNN_ONNX_MODELS[name]
    files = ["models/%s/model.onnx" % name]
    for k in range(GNN_DATA_SETS):
        files += ["models/%s/test_data_set_%d/input_%d.pb" % (name, k, j) for j in range(inputs)]
        files += ["models/%s/test_data_set_%d/output_%d.pb" % (name, k, j) for j in range(outputs)]
    return files

# GraphNets models of make_graphnets_models.py: name -> the update functions' ONNX files (without ".onnx").
GRAPHNETS_MODELS = {
    "blocks": [
        "edge_edge",
        "global_global",
        "independent_edge",
        "independent_node",
        "network_edge",
        "network_global",
        "network_node",
        "node_node",
    ],
    "epd_plain": [
        "core_edge",
        "core_global",
        "core_node",
        "decoder_node",
        "encoder_edge",
        "encoder_node",
        "output_transform_global",
    ],
    "lhcb_toy": [
        "%s_%s" % (block, component)
        for block in ["encoder", "core", "decoder"]
        for component in ["edge", "node", "global"]
    ],
}

GRAPHNETS_DATA_SETS = 6

def graphnets_model_files(name):
    files = ["graphnets/%s/model.pbtxt" % name]
    files += ["graphnets/%s/%s.onnx" % (name, f) for f in GRAPHNETS_MODELS[name]]
    for k in range(GRAPHNETS_DATA_SETS):
        files += ["graphnets/%s/test_data_set_%d/input_%d.pb" % (name, k, j) for j in range(5)]
        files += ["graphnets/%s/test_data_set_%d/output_%d.pb" % (name, k, j) for j in range(3)]
    return files
