#pragma once
// ReasonSeg ground-truth masks, drawn exactly as LISA's get_mask_from_json draws them.
#include <cstdint>

#include <opencv2/core/mat.hpp>

#include "lisa/eval/reasonseg.h"

namespace lisa::eval {

constexpr uint8_t kTargetValue = 1;
constexpr uint8_t kIgnoreValue = 255;  // pixels left out of the evaluation

// -> [height, width] CV_8UC1 with 0 (background), kTargetValue or kIgnoreValue.
// Shapes labelled "flag" (any case) are skipped. Each remaining polygon, its points truncated
// towards zero to int32 (numpy's astype), is measured by drawing it alone (OpenCV polylines,
// closed, thickness 1, 8-connected, then fillPoly as OpenCV 4.8 fills) and counting pixels; the
// polygons are then drawn the same way, largest first, with kIgnoreValue when the label contains
// "ignore" (any case), else kTargetValue. Throws lisa::Error for a polygon without points or with
// a coordinate outside int32 (where the reference fails or is undefined).
cv::Mat rasterise_ground_truth(const ReasonSegAnnotation& annotation, int height, int width);

}  // namespace lisa::eval
