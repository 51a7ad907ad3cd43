"""Names a layer may not take: attributes every torch.nn.Module already has (tests/test_names.py checks the list)."""

MODULE_ATTRIBUTES = frozenset(
    """
    add_module apply bfloat16 buffers call_super_init children compile cpu cuda double dump_patches eval
    extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict
    modules mtia named_buffers named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
    register_full_backward_pre_hook register_load_state_dict_post_hook register_load_state_dict_pre_hook
    register_module register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
    set_extra_state set_submodule share_memory state_dict to to_empty train type xpu zero_grad training
    T_destination
""".split()
)


class _Reserved:
    """Module attributes, and every name starting with `_` (PyTorch keeps its internals there)."""

    def __contains__(self, name: str) -> bool:
        return name.startswith("_") or name in MODULE_ATTRIBUTES


RESERVED = _Reserved()

# What PyTorch and Keras call netspec's layers: `Dense(10)` is answered with `linear`.
FOREIGN = {
    "dense": "linear",
    "conv2d": "conv",
    "convolution2d": "conv",
    "batchnorm2d": "batchnorm",
    "batchnormalization": "batchnorm",
    "maxpool2d": "maxpool",
    "maxpooling2d": "maxpool",
    "avgpool2d": "avgpool",
    "averagepooling2d": "avgpool",
    "globalaveragepooling2d": "global_avgpool",
    "adaptiveavgpool2d": "adaptive_avgpool",
    "flatten": "flatten",
    "dropout": "dropout",
    "relu": "relu",
    "leakyrelu": "leaky_relu",
    "gelu": "gelu",
    "silu": "silu",
    "softmax": "softmax",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "identity": "identity",
    "localresponsenorm": "lrn",
    "activation": "relu",
    "sequential": "a group, `name: { ... }`",
    "residual": "`residual { ... }`",
}


def foreign_name(name: str) -> str:
    """`did you mean` for a layer named as another framework names it; "" when it is not one."""
    found = FOREIGN.get(name.lower().replace("_", ""))
    if found is None:
        return ""
    return f"netspec calls it {found}" if " " in found else f"netspec calls it `{found}`, e.g. `{found}(...)`"
