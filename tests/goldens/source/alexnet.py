# AlexNet: PyTorch source compiled by netspec 0.1.0 from alexnet.net (classes=1000, dropout=0.5).
# Standalone: it needs only torch. Edit it freely; recompiling the spec writes it anew.
# Shapes in comments are per sample (the batch dimension is left out); file:line is the spec line.

from collections import OrderedDict

import torch
from torch import nn

__all__ = ["AlexNet"]


class AlexNet(nn.Sequential):
    """network AlexNet(classes=1000, dropout=0.5) from alexnet.net.

    Input [3, 224, 224] -> output [1000], 61,100,840 parameters.
    """

    def __init__(self, classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__(
            OrderedDict(
                [
                    (
                        "features",
                        nn.Sequential(
                            nn.Conv2d(3, 64, 11, stride=4, padding=2),
                            nn.ReLU(inplace=True),
                            nn.MaxPool2d(3, stride=2),
                            nn.Conv2d(64, 192, 5, padding=2),
                            nn.ReLU(inplace=True),
                            nn.MaxPool2d(3, stride=2),
                            nn.Conv2d(192, 384, 3, padding=1),
                            nn.ReLU(inplace=True),
                            nn.Conv2d(384, 256, 3, padding=1),
                            nn.ReLU(inplace=True),
                            nn.Conv2d(256, 256, 3, padding=1),
                            nn.ReLU(inplace=True),
                            nn.MaxPool2d(3, stride=2),
                        ),
                    ),
                    ("avgpool", nn.AdaptiveAvgPool2d(6)),
                    ("2", nn.Flatten()),
                    (
                        "classifier",
                        nn.Sequential(
                            nn.Dropout(p=dropout),
                            nn.Linear(9216, 4096),
                            nn.ReLU(inplace=True),
                            nn.Dropout(p=dropout),
                            nn.Linear(4096, 4096),
                            nn.ReLU(inplace=True),
                            nn.Linear(4096, classes),
                        ),
                    ),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # [256, 6, 6]  alexnet.net:12
        x = self.avgpool(x)  # [256, 6, 6]  alexnet.net:27
        x = self[2](x)  # [9216]  alexnet.net:28
        x = self.classifier(x)  # [classes]  alexnet.net:29
        return x
