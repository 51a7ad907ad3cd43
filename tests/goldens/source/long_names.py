# StressOfTheLayoutWithQuiteLongNamesEverywhere: PyTorch source compiled by netspec 0.1.0 from long_names.net
# (number_of_classes_in_the_dataset=10).
# Standalone: it needs only torch. Edit it freely; recompiling the spec writes it anew.
# Shapes in comments are per sample (the batch dimension is left out); file:line is the spec line.

from collections import OrderedDict

import torch
from torch import nn

__all__ = ["MixerWithAVeryLongBlockName", "Summed", "Joined", "StressOfTheLayoutWithQuiteLongNamesEverywhere"]


class MixerWithAVeryLongBlockName(nn.Sequential):
    """block MixerWithAVeryLongBlockName(first_branch_width, second_branch_width, third_branch_width) from
    long_names.net.

    Used as mixer_number_one, mixer_number_two.
    """

    def __init__(
        self, in_channels: int, first_branch_width: int, second_branch_width: int, third_branch_width: int
    ) -> None:
        super().__init__(
            OrderedDict(
                [
                    (
                        "left_branch_of_the_mixer_with_a_long_name",
                        nn.Sequential(nn.Conv2d(in_channels, first_branch_width, 1)),
                    ),
                    (
                        "right_branch_of_the_mixer_with_a_long_name",
                        nn.Sequential(
                            nn.Conv2d(in_channels, second_branch_width, 1),
                            nn.Conv2d(second_branch_width, second_branch_width, 3, padding=1),
                        ),
                    ),
                    (
                        "middle_branch_of_the_mixer_with_a_long_name",
                        nn.Sequential(nn.Conv2d(in_channels, third_branch_width, 1)),
                    ),
                    ("another_branch_of_the_mixer_with_a_long_name", nn.Sequential(nn.Conv2d(in_channels, 4, 1))),
                    ("4", nn.Identity()),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # [first_branch_width, H, W]  long_names.net:9
        left_branch_of_the_mixer_with_a_long_name = self.left_branch_of_the_mixer_with_a_long_name(x)
        # [second_branch_width, H, W]  long_names.net:10
        right_branch_of_the_mixer_with_a_long_name = self.right_branch_of_the_mixer_with_a_long_name(x)
        # [third_branch_width, H, W]  long_names.net:11
        middle_branch_of_the_mixer_with_a_long_name = self.middle_branch_of_the_mixer_with_a_long_name(x)
        # [4, 16, 16]  long_names.net:12
        another_branch_of_the_mixer_with_a_long_name = self.another_branch_of_the_mixer_with_a_long_name(x)
        out = self[4](x)  # [in_channels, H, W]  long_names.net:13
        # [?, H, W]  long_names.net:8
        out_1 = torch.cat(
            [
                left_branch_of_the_mixer_with_a_long_name,
                right_branch_of_the_mixer_with_a_long_name,
                middle_branch_of_the_mixer_with_a_long_name,
                another_branch_of_the_mixer_with_a_long_name,
                out,
            ],
            dim=1,
        )
        return out_1


class Summed(nn.Module):
    """block Summed(width) from long_names.net.

    Used as summed_block_with_a_long_name.
    """

    def __init__(self) -> None:
        super().__init__()
        self.left_path_of_the_sum_with_a_rather_long_name_indeed = nn.Sequential(nn.Conv2d(44, 44, 1))
        self.right_path_of_the_sum_with_a_rather_long_name_indeed = nn.Sequential(nn.Conv2d(44, 44, 3, padding=1))
        self.third_path_of_the_sum_with_a_rather_long_name_indeed = nn.Sequential(nn.Conv2d(44, 44, 5, padding=2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # [44, 16, 16]  long_names.net:19
        left_path_of_the_sum_with_a_rather_long_name_indeed = self.left_path_of_the_sum_with_a_rather_long_name_indeed(
            x
        )
        # [44, 16, 16]  long_names.net:20
        right_path_of_the_sum_with_a_rather_long_name_indeed = (
            self.right_path_of_the_sum_with_a_rather_long_name_indeed(x)
        )
        # [44, 16, 16]  long_names.net:21
        third_path_of_the_sum_with_a_rather_long_name_indeed = (
            self.third_path_of_the_sum_with_a_rather_long_name_indeed(x)
        )
        # [44, 16, 16]  long_names.net:18
        out = (
            left_path_of_the_sum_with_a_rather_long_name_indeed
            + right_path_of_the_sum_with_a_rather_long_name_indeed
            + third_path_of_the_sum_with_a_rather_long_name_indeed
        )
        return out


class Joined(nn.Sequential):
    """block Joined(width, skip_from_the_stem_convolution_with_a_long_name, other_skip_with_a_long_name) from
    long_names.net.

    Used as joined.
    """

    def __init__(self) -> None:
        super().__init__(nn.Conv2d(44, 4, 1))

    def forward(
        self,
        x: torch.Tensor,
        skip_from_the_stem_convolution_with_a_long_name: torch.Tensor,
        other_skip_with_a_long_name: torch.Tensor,
    ) -> torch.Tensor:
        x = self[0](x)  # [4, 16, 16]  long_names.net:26
        # [36, 16, 16]  long_names.net:26
        out = torch.cat([skip_from_the_stem_convolution_with_a_long_name, other_skip_with_a_long_name, x], dim=1)
        return out


class StressOfTheLayoutWithQuiteLongNamesEverywhere(nn.Sequential):
    """network StressOfTheLayoutWithQuiteLongNamesEverywhere(number_of_classes_in_the_dataset=10) from long_names.net.

    Input [3, 16, 16] -> outputs auxiliary_output_with_a_long_name_number_one [10],
    main_output_with_a_rather_long_name_as_well [10], 69,858 parameters.
    """

    def __init__(self, number_of_classes_in_the_dataset: int = 10) -> None:
        super().__init__(
            OrderedDict(
                [
                    (
                        "stem_convolution_with_a_name_long_enough_to_push_the_comment_past_the_line_limit",
                        nn.Conv2d(3, 8, 3, padding=1, bias=False),
                    ),
                    (
                        "mixer_number_one",
                        MixerWithAVeryLongBlockName(
                            in_channels=8, first_branch_width=4, second_branch_width=4, third_branch_width=4
                        ),
                    ),
                    (
                        "mixer_number_two",
                        MixerWithAVeryLongBlockName(
                            in_channels=24, first_branch_width=8, second_branch_width=2, third_branch_width=6
                        ),
                    ),
                    ("summed_block_with_a_long_name", Summed()),
                    ("joined", Joined()),
                    ("aux_pool", nn.AdaptiveAvgPool2d(1)),
                    ("6", nn.Flatten()),
                    ("aux_fc", nn.Linear(36, number_of_classes_in_the_dataset)),
                    ("pool", nn.AdaptiveAvgPool2d(1)),
                    ("9", nn.Flatten()),
                    ("head", nn.Linear(36, number_of_classes_in_the_dataset)),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        # [8, 16, 16]  long_names.net:29
        x = self.stem_convolution_with_a_name_long_enough_to_push_the_comment_past_the_line_limit(x)
        mixer_number_one = self.mixer_number_one(x)  # [24, 16, 16]  long_names.net:30
        mixer_number_two = self.mixer_number_two(mixer_number_one)  # [44, 16, 16]  long_names.net:31
        mixer_number_two = self.summed_block_with_a_long_name(mixer_number_two)  # [44, 16, 16]  long_names.net:32
        joined = self.joined(mixer_number_two, x, mixer_number_one)  # [36, 16, 16]  long_names.net:33
        out = self.aux_pool(joined)  # [36, 1, 1]  long_names.net:34
        out = self[6](out)  # [36]  long_names.net:34
        out = self.aux_fc(out)  # [number_of_classes_in_the_dataset]  long_names.net:34
        out_1 = self.pool(joined)  # [36, 1, 1]  long_names.net:35
        out_1 = self[9](out_1)  # [36]  long_names.net:36
        # [number_of_classes_in_the_dataset]  long_names.net:37
        main_output_with_a_rather_long_name_as_well = self.head(out_1)
        return {
            "auxiliary_output_with_a_long_name_number_one": out,
            "main_output_with_a_rather_long_name_as_well": main_output_with_a_rather_long_name_as_well,
        }
