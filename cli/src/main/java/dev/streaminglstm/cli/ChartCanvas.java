package dev.streaminglstm.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * What {@link LossChart} draws on: a few primitives in pixel coordinates (origin top left), with colours as
 * {@code #rrggbb}. {@link Raster} draws into an image with Java2D, {@link Svg} writes SVG elements, so one layout
 * gives both the PNG and the HTML report.
 */
interface ChartCanvas {

    /** Where a text's x coordinate lies on it. */
    enum Anchor { START, MIDDLE, END }

    void rect(double x, double y, double width, double height, String fill);

    void line(double x1, double y1, double x2, double y2, String color, double width, boolean dashed);

    void polyline(double[] xs, double[] ys, String color, double width);

    void dot(double x, double y, double radius, String fill);

    /** Text whose baseline starts, centres or ends at (x, y). */
    void text(double x, double y, String text, double size, boolean bold, String color, Anchor anchor);

    /** Java2D on an RGB image, antialiased, in the sans-serif font. */
    final class Raster implements ChartCanvas {
        private final BufferedImage image;
        private final Graphics2D g;

        Raster(int width, int height) {
            image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        }

        /** The drawing; call once drawing is done. */
        BufferedImage finish() {
            g.dispose();
            return image;
        }

        @Override
        public void rect(double x, double y, double width, double height, String fill) {
            g.setColor(Color.decode(fill));
            g.fill(new Rectangle2D.Double(x, y, width, height));
        }

        @Override
        public void line(double x1, double y1, double x2, double y2, String color, double width, boolean dashed) {
            g.setColor(Color.decode(color));
            g.setStroke(dashed ? new BasicStroke((float) width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {4f, 4f}, 0f) : new BasicStroke((float) width));
            g.draw(new Line2D.Double(x1, y1, x2, y2));
        }

        @Override
        public void polyline(double[] xs, double[] ys, String color, double width) {
            Path2D.Double path = new Path2D.Double();
            for (int i = 0; i < xs.length; i++) {
                if (i == 0) {
                    path.moveTo(xs[i], ys[i]);
                } else {
                    path.lineTo(xs[i], ys[i]);
                }
            }
            g.setColor(Color.decode(color));
            g.setStroke(new BasicStroke((float) width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.draw(path);
        }

        @Override
        public void dot(double x, double y, double radius, String fill) {
            g.setColor(Color.decode(fill));
            g.fill(new Ellipse2D.Double(x - radius, y - radius, 2 * radius, 2 * radius));
        }

        @Override
        public void text(double x, double y, String text, double size, boolean bold, String color, Anchor anchor) {
            g.setFont(new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, (int) Math.round(size)));
            g.setColor(Color.decode(color));
            double width = g.getFontMetrics().stringWidth(text);
            double left = switch (anchor) {
                case START -> x;
                case MIDDLE -> x - width / 2;
                case END -> x - width;
            };
            g.drawString(text, (float) left, (float) y);
        }
    }

    /** SVG elements, collected into one {@code <svg>} document. */
    final class Svg implements ChartCanvas {
        private final StringBuilder body = new StringBuilder();
        private final int width;
        private final int height;

        Svg(int width, int height) {
            this.width = width;
            this.height = height;
        }

        /** The {@code <svg>} element with everything drawn. */
        String finish() {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width + "\" height=\"" + height
                    + "\" viewBox=\"0 0 " + width + " " + height + "\" font-family=\"sans-serif\">\n" + body
                    + "</svg>\n";
        }

        @Override
        public void rect(double x, double y, double width, double height, String fill) {
            body.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    + "fill=\"%s\"/>%n", x, y, width, height, fill));
        }

        @Override
        public void line(double x1, double y1, double x2, double y2, String color, double width, boolean dashed) {
            body.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    + "stroke=\"%s\" stroke-width=\"%.1f\"%s/>%n", x1, y1, x2, y2, color, width,
                    dashed ? " stroke-dasharray=\"4 4\"" : ""));
        }

        @Override
        public void polyline(double[] xs, double[] ys, String color, double width) {
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < xs.length; i++) {
                points.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", xs[i], ys[i]));
            }
            body.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                    + "stroke-width=\"%.1f\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>%n", points, color,
                    width));
        }

        @Override
        public void dot(double x, double y, double radius, String fill) {
            body.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>%n", x, y,
                    radius, fill));
        }

        @Override
        public void text(double x, double y, String text, double size, boolean bold, String color, Anchor anchor) {
            String textAnchor = switch (anchor) {
                case START -> "start";
                case MIDDLE -> "middle";
                case END -> "end";
            };
            body.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\"%s fill=\"%s\" "
                    + "text-anchor=\"%s\">%s</text>%n", x, y, size, bold ? " font-weight=\"bold\"" : "", color,
                    textAnchor, escape(text)));
        }

        /** Text made safe inside XML elements and attributes. */
        static String escape(String text) {
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }
    }
}
