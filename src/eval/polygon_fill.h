#pragma once
// A polygon filler that draws exactly what cv2.fillPoly (one contour, 8-connected, no sub-pixel
// shift) draws in opencv-python 4.8, the version the LISA reference pins. The OpenCV 4.6 the
// engine links fills differently: opencv/opencv#23076 (4.7) moved the fill edges of inside edges
// by half a pixel, made the span ends round down, and took the fill edge of a clipped edge from
// its clipped outline — so the two differ along many polygon borders, inside the image or not.
#include <cstdint>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace lisa::eval {

// img: CV_8UC1. Draws every edge's 8-connected outline and fills the inside with `value`.
void fill_polygon(cv::Mat& img, const std::vector<cv::Point>& polygon, uint8_t value);

}  // namespace lisa::eval
